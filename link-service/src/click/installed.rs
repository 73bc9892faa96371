//! "Is the app installed for this browser?", asked by the iOS and Android decisions for
//! browsers that carry our cookie. Answers come from the browser state (Aerospike, or the
//! shard's `browser_apps`) and are remembered briefly in-process, negatives included, so
//! a browser that clicks again does not cost another look-up.

use std::sync::Arc;
use std::time::Duration;

use link_core::AppId;
use link_store::hot::BrowserState;
use moka::future::Cache;
use uuid::Uuid;

/// How long an answer is trusted: short, so an install reported by the SDK changes the
/// next click's decision soon.
const REMEMBER: Duration = Duration::from_secs(30);

pub struct InstalledApps {
    state: Arc<dyn BrowserState>,
    answers: Cache<(AppId, Uuid), bool>,
}

impl InstalledApps {
    pub fn new(state: Arc<dyn BrowserState>) -> Self {
        Self {
            state,
            answers: Cache::builder()
                .max_capacity(200_000)
                .time_to_live(REMEMBER)
                .build(),
        }
    }

    /// Never fails and never waits long: the browser state answers `false` on trouble.
    pub async fn check(&self, app: AppId, browser: Uuid) -> bool {
        self.answers
            .get_with((app, browser), self.state.is_installed(app, browser))
            .await
    }
}
