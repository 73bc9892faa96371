//! What the generated traffic looks like: which links are clicked (Zipf popularity) and by
//! whom (a User-Agent mix drawn from the labelled corpora).

use std::path::Path;

use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Zipf};

/// The code of the bench link of rank `rank` (0 = most popular).
pub fn code(rank: u64) -> String {
    format!("b{rank}")
}

/// `count` link ranks drawn from Zipf(s) over `links` links.
pub fn zipf_ranks(links: u64, s: f64, count: usize, seed: u64) -> anyhow::Result<Vec<u64>> {
    let zipf = Zipf::new(links as f64, s).map_err(|e| anyhow::anyhow!("zipf: {e}"))?;
    let mut rng = StdRng::seed_from_u64(seed);
    Ok((0..count)
        .map(|_| {
            (zipf.sample(&mut rng) as u64)
                .saturating_sub(1)
                .min(links - 1)
        })
        .collect())
}

/// Countries a global campaign's clicks come from, in rough order of mobile traffic; a
/// crowd draws them by Zipf(1), so a batch of clicks spans dozens of countries as a
/// worldwide push would. `XX` is Cloudflare's "unknown", which Hoplink counts as such.
const COUNTRIES: [&str; 61] = [
    "US", "IN", "BR", "ID", "GB", "DE", "MX", "JP", "FR", "TR", "PH", "VN", "IT", "ES", "CA", "NG",
    "PK", "EG", "TH", "KR", "RU", "PL", "AR", "CO", "SA", "AU", "NL", "MY", "BD", "ZA", "UA", "AE",
    "CL", "PE", "KE", "RO", "SE", "BE", "MA", "DZ", "CZ", "PT", "GR", "IL", "CH", "AT", "HU", "IE",
    "DK", "NO", "FI", "NZ", "SG", "HK", "TW", "EC", "GT", "DO", "KZ", "LK", "XX",
];

/// `count` country codes drawn by Zipf(1) over [`COUNTRIES`].
pub fn zipf_countries(count: usize, seed: u64) -> anyhow::Result<Vec<&'static str>> {
    let ranks = zipf_ranks(COUNTRIES.len() as u64, 1.0, count, seed)?;
    Ok(ranks
        .into_iter()
        .map(|r| COUNTRIES[r as usize % COUNTRIES.len()])
        .collect())
}

/// Shares of the traffic by kind of client, roughly what a consumer app's links see.
const SHARES: [(Class, f64); 5] = [
    (Class::Ios, 0.46),
    (Class::Android, 0.36),
    (Class::Desktop, 0.10),
    (Class::InApp, 0.05),
    (Class::Bot, 0.03),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Ios,
    Android,
    Desktop,
    InApp,
    Bot,
}

/// A pool of real User-Agents in realistic proportions.
pub struct UaMix {
    pool: Vec<String>,
}

impl UaMix {
    /// Builds a pool of `size` User-Agents from `corpora/` (the labelled TSVs); falls back
    /// to a small built-in set, loudly, when the corpora are absent.
    pub fn load(corpora: &Path, size: usize, seed: u64) -> Self {
        match Self::from_corpora(corpora, size, seed) {
            Ok(mix) => mix,
            Err(error) => {
                eprintln!("WARNING: User-Agent corpora not usable ({error}); using a built-in mix");
                Self::builtin(size, seed)
            }
        }
    }

    fn from_corpora(corpora: &Path, size: usize, seed: u64) -> anyhow::Result<Self> {
        let mut by_class: Vec<(Class, Vec<String>)> =
            SHARES.iter().map(|(c, _)| (*c, Vec::new())).collect();
        let mut push = |class: Class, ua: &str| {
            if let Some((_, list)) = by_class.iter_mut().find(|(c, _)| *c == class) {
                list.push(ua.to_owned());
            }
        };
        let main = std::fs::read_to_string(corpora.join("user-agents.tsv"))?;
        for line in main.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            let [ua, os, device, is_bot, ..] = cols.as_slice() else {
                continue;
            };
            let class = match (*os, *device, *is_bot) {
                (_, _, "1") => Class::Bot,
                ("ios", "mobile" | "tablet", _) => Class::Ios,
                ("android", "mobile" | "tablet", _) => Class::Android,
                ("windows" | "macos" | "linux", "desktop", _) => Class::Desktop,
                _ => continue,
            };
            push(class, ua);
        }
        let in_app = std::fs::read_to_string(corpora.join("in-app-browsers.tsv"))?;
        for line in in_app.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() >= 6 && cols[5] == "1" {
                push(Class::InApp, cols[0]);
            }
        }
        anyhow::ensure!(
            by_class.iter().all(|(_, l)| !l.is_empty()),
            "a class has no rows"
        );
        Ok(Self::draw(&by_class, size, seed))
    }

    fn builtin(size: usize, seed: u64) -> Self {
        let by_class = vec![
            (Class::Ios, vec!["Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1".to_owned()]),
            (Class::Android, vec!["Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36".to_owned()]),
            (Class::Desktop, vec!["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36".to_owned()]),
            (Class::InApp, vec!["Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Instagram 327.0.0.25.89".to_owned()]),
            (Class::Bot, vec!["Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)".to_owned()]),
        ];
        Self::draw(&by_class, size, seed)
    }

    fn draw(by_class: &[(Class, Vec<String>)], size: usize, seed: u64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut pool = Vec::with_capacity(size);
        for _ in 0..size.max(1) {
            let roll: f64 = rng.random();
            let mut acc = 0.0;
            let class = SHARES
                .iter()
                .find(|(_, share)| {
                    acc += share;
                    roll < acc
                })
                .map_or(Class::Ios, |(c, _)| *c);
            if let Some((_, list)) = by_class.iter().find(|(c, _)| *c == class)
                && let Some(ua) = list.choose(&mut rng)
            {
                pool.push(ua.clone());
            }
        }
        Self { pool }
    }

    pub fn len(&self) -> usize {
        self.pool.len()
    }

    pub fn get(&self, i: usize) -> &str {
        &self.pool[i % self.pool.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worldwide_crowd_spans_dozens_of_countries_led_by_the_first() {
        let drawn = zipf_countries(2_000, 42).unwrap();
        assert_eq!(drawn, zipf_countries(2_000, 42).unwrap(), "seeded");
        let mut counts = std::collections::HashMap::new();
        for c in &drawn {
            *counts.entry(*c).or_insert(0usize) += 1;
        }
        assert!(counts.len() >= 40, "{} countries", counts.len());
        let top = counts.iter().max_by_key(|(_, n)| **n).map(|(c, _)| *c);
        assert_eq!(top, Some("US"));
        assert!(
            COUNTRIES
                .iter()
                .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
    }
}
