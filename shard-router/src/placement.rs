//! Where a new app goes: the active shard with the fewest apps per unit of weight.

use std::collections::HashMap;

use link_core::ShardId;

use crate::map::{ShardInfo, ShardState};

/// Picks the active shard minimising `apps / weight`; ties go to the smaller shard id so
/// the choice is deterministic. `None` when no shard is active.
pub fn place<'a>(
    shards: impl IntoIterator<Item = &'a ShardInfo>,
    app_counts: &HashMap<ShardId, u64>,
) -> Option<ShardId> {
    shards
        .into_iter()
        .filter(|s| s.state == ShardState::Active && s.dsn.is_ok())
        .min_by(|a, b| {
            let load = |s: &ShardInfo| {
                let apps = app_counts.get(&s.id).copied().unwrap_or(0);
                // Cross-multiplied to compare apps_a/weight_a with apps_b/weight_b exactly.
                (apps, u64::from(s.weight))
            };
            let (apps_a, w_a) = load(a);
            let (apps_b, w_b) = load(b);
            (u128::from(apps_a) * u128::from(w_b))
                .cmp(&(u128::from(apps_b) * u128::from(w_a)))
                .then_with(|| a.id.cmp(&b.id))
        })
        .map(|s| s.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsn::ShardDsn;

    fn shard(id: &str, state: ShardState, weight: u32) -> ShardInfo {
        ShardInfo {
            id: ShardId::parse(id).unwrap(),
            dsn: Ok(ShardDsn::parse("postgres://db/x").unwrap()),
            state,
            weight,
        }
    }

    fn counts(pairs: &[(&str, u64)]) -> HashMap<ShardId, u64> {
        pairs
            .iter()
            .map(|(id, n)| (ShardId::parse(id).unwrap(), *n))
            .collect()
    }

    #[test]
    fn picks_the_least_loaded_active_shard() {
        let shards = [
            shard("a", ShardState::Active, 100),
            shard("b", ShardState::Active, 100),
            shard("c", ShardState::Draining, 100),
        ];
        let pick = |c: &[(&str, u64)]| place(&shards, &counts(c)).unwrap();
        assert_eq!(pick(&[("a", 3), ("b", 2), ("c", 0)]).as_str(), "b");
        assert_eq!(pick(&[("a", 2), ("b", 2)]).as_str(), "a");
        assert_eq!(pick(&[("b", 1)]).as_str(), "a");
    }

    #[test]
    fn weight_scales_capacity() {
        let shards = [
            shard("a", ShardState::Active, 100),
            shard("b", ShardState::Active, 300),
        ];
        // b may hold three times as many apps before a is preferred.
        assert_eq!(
            place(&shards, &counts(&[("a", 1), ("b", 2)]))
                .unwrap()
                .as_str(),
            "b"
        );
        assert_eq!(
            place(&shards, &counts(&[("a", 1), ("b", 3)]))
                .unwrap()
                .as_str(),
            "a"
        );
        assert_eq!(
            place(&shards, &counts(&[("a", 1), ("b", 4)]))
                .unwrap()
                .as_str(),
            "a"
        );
    }

    #[test]
    fn spreads_apps_evenly_over_time() {
        let shards = [
            shard("a", ShardState::Active, 100),
            shard("b", ShardState::Active, 100),
        ];
        let mut c = HashMap::new();
        for _ in 0..10 {
            let id = place(&shards, &c).unwrap();
            *c.entry(id).or_insert(0) += 1;
        }
        assert_eq!(c.values().copied().collect::<Vec<_>>(), vec![5, 5]);
    }

    #[test]
    fn none_without_an_active_shard() {
        let shards = [
            shard("a", ShardState::Draining, 100),
            shard("b", ShardState::Retired, 1),
        ];
        assert!(place(&shards, &HashMap::new()).is_none());
        assert!(place(&[], &HashMap::new()).is_none());
    }
}
