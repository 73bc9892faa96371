//! Per-key rate limits: a token bucket per API key (GCRA, via `governor`), separate
//! budgets for SDK and secret keys. Over the limit is 429 with `Retry-After`, answered
//! before any database work.

use std::num::NonZeroU32;

use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};
use link_core::keys::KeyKind;

use crate::auth::Caller;
use crate::error::ApiError;

type Keyed = RateLimiter<i64, DefaultKeyedStateStore<i64>, DefaultClock>;

pub struct RateLimits {
    sdk: Keyed,
    secret: Keyed,
    clock: DefaultClock,
}

fn quota(per_sec: u32, burst: u32) -> Quota {
    let rate = NonZeroU32::new(per_sec.max(1)).unwrap_or(NonZeroU32::MIN);
    let burst = NonZeroU32::new(burst.max(per_sec).max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::per_second(rate).allow_burst(burst)
}

impl RateLimits {
    pub fn new(sdk_per_sec: u32, sdk_burst: u32, secret_per_sec: u32, secret_burst: u32) -> Self {
        Self {
            sdk: RateLimiter::keyed(quota(sdk_per_sec, sdk_burst)),
            secret: RateLimiter::keyed(quota(secret_per_sec, secret_burst)),
            clock: DefaultClock::default(),
        }
    }

    /// Takes one token from the caller's bucket.
    pub fn check(&self, caller: &Caller) -> Result<(), ApiError> {
        let limiter = match caller.kind {
            KeyKind::Sdk => &self.sdk,
            KeyKind::Secret => &self.secret,
        };
        limiter.check_key(&caller.key_id).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::RateLimited {
                retry_after_secs: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }

    /// Forgets idle buckets; called periodically so the key map does not grow forever.
    pub fn shrink(&self) {
        self.sdk.retain_recent();
        self.secret.retain_recent();
        self.sdk.shrink_to_fit();
        self.secret.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use link_core::AppId;

    use super::*;

    #[test]
    fn bursts_then_limits_per_key() {
        let limits = RateLimits::new(1, 3, 1, 1);
        let caller = Caller {
            key_id: 1,
            app_id: AppId::new(1).unwrap(),
            kind: KeyKind::Sdk,
        };
        let other = Caller {
            key_id: 2,
            ..caller
        };
        for _ in 0..3 {
            assert!(limits.check(&caller).is_ok());
        }
        match limits.check(&caller) {
            Err(ApiError::RateLimited { retry_after_secs }) => assert!(retry_after_secs >= 1),
            other => panic!("expected 429, got {other:?}"),
        }
        assert!(limits.check(&other).is_ok(), "buckets are per key");
    }
}
