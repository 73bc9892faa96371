//! Firebase Dynamic Links' long form, `https://links.acme.app/?link=https://acme.app/item/7&
//! apn=…&ibi=…&ifl=…&st=…`, read as the Branch parameters that mean the same, so an app
//! that moves its FDL domain to Hoplink keeps every long link already sent out working.
//!
//! - `link`, the deep link: kept in the data as `link` (what the app reads after install),
//!   its path and query become `$deeplink_path`, and it is the desktop destination unless
//!   `ofl` names another;
//! - `afl`, `ifl`, `ipfl`, `ofl`: `$android_url`, `$ios_url`, `$ipad_url`, `$desktop_url`;
//! - `st`, `sd`, `si`: `$og_title`, `$og_description`, `$og_image_url`;
//! - the app's identity and store (`apn`, `ibi`, `isi`, `ius`, …) come from the app's
//!   config here, so those keys are dropped, as are FDL's own switches (`efr`, `amv`, …);
//! - FDL's analytics parameters `utm_source`, `utm_medium` and `utm_campaign` also name
//!   the link's `channel`, `feature` and `campaign`, so its clicks group in the stats as
//!   they did in Firebase's; like every `utm_*` pair they are still carried on;
//! - everything else goes through as in any long link.

use std::borrow::Cow;

use link_core::WebUrl;

type Pair<'a> = (Cow<'a, str>, Cow<'a, str>);

/// FDL keys with a Branch equivalent.
const RENAMED: [(&str, &str); 7] = [
    ("afl", "$android_url"),
    ("ifl", "$ios_url"),
    ("ipfl", "$ipad_url"),
    ("ofl", "$desktop_url"),
    ("st", "$og_title"),
    ("sd", "$og_description"),
    ("si", "$og_image_url"),
];

/// FDL's analytics parameters and the link labels they fill.
const LABELLED: [(&str, &str); 3] = [
    ("utm_source", "channel"),
    ("utm_medium", "feature"),
    ("utm_campaign", "campaign"),
];

/// FDL keys the app's config answers, or that select FDL behaviour Hoplink has no use for.
const DROPPED: [&str; 12] = [
    "apn", "amv", "ibi", "isi", "ius", "imv", "ipbi", "efr", "at", "ct", "mt", "pt",
];

/// Whether the query is an FDL long link: an absolute web `link` and no Branch `$`-keys
/// or `data`.
pub fn is_firebase(pairs: &[Pair<'_>]) -> bool {
    let mut link = false;
    for (key, value) in pairs {
        if key.starts_with('$') || key == "data" {
            return false;
        }
        link |= key == "link" && WebUrl::parse(value).is_ok();
    }
    link
}

/// The Branch-style pairs for an FDL long link's.
pub fn translate(pairs: Vec<Pair<'_>>) -> Vec<Pair<'_>> {
    let has_ofl = pairs.iter().any(|(key, _)| key == "ofl");
    let mut out = Vec::with_capacity(pairs.len() + 2);
    for (key, value) in pairs {
        if key == "link" {
            if let Some(path) = deeplink_path(&value) {
                out.push((Cow::Borrowed("$deeplink_path"), Cow::Owned(path)));
            }
            if !has_ofl {
                out.push((Cow::Borrowed("$desktop_url"), value.clone()));
            }
            out.push((key, value));
        } else if let Some((_, branch)) = RENAMED.iter().find(|(fdl, _)| *fdl == key) {
            out.push((Cow::Borrowed(*branch), value));
        } else if let Some((_, label)) = LABELLED.iter().find(|(utm, _)| *utm == key) {
            out.push((Cow::Borrowed(*label), value.clone()));
            out.push((key, value));
        } else if !DROPPED.contains(&key.as_ref()) {
            out.push((key, value));
        }
    }
    out
}

/// `https://acme.app/item/7?x=1` -> `item/7?x=1`; nothing for the site's root.
fn deeplink_path(link: &str) -> Option<String> {
    let url = WebUrl::parse(link).ok()?;
    let parsed = url.as_url();
    let path = parsed.path().trim_start_matches('/');
    let path = match parsed.query() {
        Some(query) => format!("{path}?{query}"),
        None => path.to_owned(),
    };
    (!path.is_empty()).then_some(path)
}

#[cfg(test)]
mod tests {
    use url::form_urlencoded;

    use super::*;

    fn pairs(query: &str) -> Vec<Pair<'_>> {
        form_urlencoded::parse(query.as_bytes()).collect()
    }

    #[test]
    fn fdl_keys_become_branch_keys() {
        let query = "link=https%3A%2F%2Facme.app%2Fitem%2F7%3Fref%3Dmail&apn=com.acme&ibi=com.acme&\
                     isi=123&afl=https%3A%2F%2Facme.app%2Fandroid&ifl=https%3A%2F%2Facme.app%2Fios&\
                     st=Title&sd=About&si=https%3A%2F%2Facme.app%2Fi.png&efr=1&utm_source=mail";
        let input = pairs(query);
        assert!(is_firebase(&input));
        let out: Vec<(String, String)> = translate(input)
            .into_iter()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let get = |key: &str| out.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        assert_eq!(get("$deeplink_path"), Some("item/7?ref=mail"));
        assert_eq!(
            get("$desktop_url"),
            Some("https://acme.app/item/7?ref=mail")
        );
        assert_eq!(get("link"), Some("https://acme.app/item/7?ref=mail"));
        assert_eq!(get("$android_url"), Some("https://acme.app/android"));
        assert_eq!(get("$ios_url"), Some("https://acme.app/ios"));
        assert_eq!(get("$og_title"), Some("Title"));
        assert_eq!(get("$og_description"), Some("About"));
        assert_eq!(get("$og_image_url"), Some("https://acme.app/i.png"));
        assert_eq!(get("utm_source"), Some("mail"));
        assert_eq!(get("channel"), Some("mail"));
        for dropped in ["apn", "ibi", "isi", "efr", "afl", "st"] {
            assert_eq!(get(dropped), None, "{dropped}");
        }
    }

    #[test]
    fn ofl_is_the_desktop_destination_when_given() {
        let out = translate(pairs(
            "link=https%3A%2F%2Facme.app%2F&ofl=https%3A%2F%2Facme.app%2Fdesktop",
        ));
        let desktop: Vec<&str> = out
            .iter()
            .filter(|(k, _)| k == "$desktop_url")
            .map(|(_, v)| v.as_ref())
            .collect();
        assert_eq!(desktop, ["https://acme.app/desktop"]);
        // The site's root is no deep-link path.
        assert!(!out.iter().any(|(k, _)| k == "$deeplink_path"));
    }

    #[test]
    fn only_a_web_link_without_branch_keys_is_fdl() {
        assert!(!is_firebase(&pairs("link=item%2F7")));
        assert!(!is_firebase(&pairs("apn=com.acme")));
        assert!(!is_firebase(&pairs(
            "link=https%3A%2F%2Facme.app%2F&$desktop_url=https%3A%2F%2Fx.test"
        )));
        assert!(!is_firebase(&pairs(
            "link=https%3A%2F%2Facme.app%2F&data=e30"
        )));
    }
}
