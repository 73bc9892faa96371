//! [`ShardMap`]: host -> app -> shard, as one immutable value.
//!
//! Built from catalog rows by [`ShardMap::build`], which refuses a map that contradicts
//! itself, so a half-applied or corrupt catalog never replaces a good map. Resolution is a
//! pure function of the map: it can be tested without any database.

use foldhash::{HashMap, HashMapExt};

use link_core::{AppId, Host, ShardId};

use crate::dsn::ShardDsn;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardState {
    /// Takes new apps.
    Active,
    /// Serves its apps but takes no new ones (being emptied).
    Draining,
    /// Holds no apps any more.
    Retired,
}

impl ShardState {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(Self::Active),
            "draining" => Some(Self::Draining),
            "retired" => Some(Self::Retired),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Draining => "draining",
            Self::Retired => "retired",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppState {
    Active,
    /// Being moved to another shard: reads are served, writes may be fenced.
    Moving,
    /// Switched off by an operator: links answer 404.
    Suspended,
}

impl AppState {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "active" => Some(Self::Active),
            "moving" => Some(Self::Moving),
            "suspended" => Some(Self::Suspended),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Moving => "moving",
            Self::Suspended => "suspended",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardInfo {
    pub id: ShardId,
    /// `Err` when the catalog holds a URL that does not parse: the shard's apps are
    /// unavailable, every other shard keeps working.
    pub dsn: Result<ShardDsn, String>,
    pub state: ShardState,
    pub weight: u32,
}

/// Where an app lives, as of the map's load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRoute {
    pub app_id: AppId,
    pub shard: ShardId,
    pub epoch: i64,
    pub state: AppState,
}

/// Catalog rows as loaded, before validation.
#[derive(Debug, Default, Clone)]
pub struct CatalogRows {
    pub shards: Vec<(String, String, String, i32)>,
    pub apps: Vec<(i64, String, String, i64)>,
    /// `(host, app, alternate)` in the order the domains were added.
    pub domains: Vec<(String, i64, bool)>,
}

#[derive(Debug, Default, Clone)]
pub struct ShardMap {
    shards: HashMap<ShardId, ShardInfo>,
    apps: HashMap<AppId, AppRoute>,
    hosts: HashMap<Host, AppId>,
    /// Each app's domains in the order they were added; the first that is not the
    /// alternate one is the primary one, used to build the app's short URLs.
    app_domains: HashMap<AppId, Vec<Host>>,
    /// Each app's alternate domain, where it has one.
    alternates: HashMap<AppId, Host>,
}

impl ShardMap {
    /// Validates catalog rows into a map. Any contradiction (an app on an unknown shard, a
    /// domain of an unknown app, an unparseable id or state) rejects the whole map.
    pub fn build(rows: CatalogRows) -> Result<Self, String> {
        let mut shards = HashMap::with_capacity(rows.shards.len());
        for (id, dsn, state, weight) in rows.shards {
            let id = ShardId::parse(&id).map_err(|e| format!("shard {id:?}: {e}"))?;
            let state = ShardState::parse(&state)
                .ok_or_else(|| format!("shard {id}: unknown state {state:?}"))?;
            let weight = u32::try_from(weight)
                .ok()
                .filter(|w| *w > 0)
                .ok_or_else(|| format!("shard {id}: weight must be positive"))?;
            let dsn = ShardDsn::parse(&dsn).map_err(|e| e.to_string());
            let info = ShardInfo {
                id: id.clone(),
                dsn,
                state,
                weight,
            };
            if shards.insert(id.clone(), info).is_some() {
                return Err(format!("shard {id} listed twice"));
            }
        }
        let mut apps = HashMap::with_capacity(rows.apps.len());
        for (id, shard, state, epoch) in rows.apps {
            let app_id = AppId::new(id).map_err(|e| format!("app {id}: {e}"))?;
            let shard = ShardId::parse(&shard).map_err(|e| format!("app {id}: {e}"))?;
            if !shards.contains_key(&shard) {
                return Err(format!("app {id} is on unknown shard {shard}"));
            }
            let state = AppState::parse(&state)
                .ok_or_else(|| format!("app {id}: unknown state {state:?}"))?;
            let route = AppRoute {
                app_id,
                shard,
                epoch,
                state,
            };
            if apps.insert(app_id, route).is_some() {
                return Err(format!("app {id} listed twice"));
            }
        }
        let mut hosts = HashMap::with_capacity(rows.domains.len());
        let mut app_domains: HashMap<AppId, Vec<Host>> = HashMap::new();
        let mut alternates = HashMap::new();
        for (host, app, alternate) in rows.domains {
            let parsed = Host::parse(&host).map_err(|e| format!("domain {host:?}: {e}"))?;
            if parsed.as_str() != host {
                return Err(format!("domain {host:?} is not in canonical form"));
            }
            let app_id = AppId::new(app).map_err(|e| format!("domain {host}: {e}"))?;
            if !apps.contains_key(&app_id) {
                return Err(format!("domain {host} belongs to unknown app {app}"));
            }
            if hosts.insert(parsed.clone(), app_id).is_some() {
                return Err(format!("domain {host} listed twice"));
            }
            if alternate && alternates.insert(app_id, parsed.clone()).is_some() {
                return Err(format!("app {app} has two alternate domains"));
            }
            app_domains.entry(app_id).or_default().push(parsed);
        }
        Ok(Self {
            shards,
            apps,
            hosts,
            app_domains,
            alternates,
        })
    }

    /// The app serving a `Host` header value (port ignored, case-insensitive, and a fully
    /// qualified name's trailing dot ignored: `go.acme.app.` is `go.acme.app`).
    pub fn resolve_host(&self, host_header: &str) -> Option<&AppRoute> {
        let host = link_core::host::strip_port(host_header);
        let app = match self.hosts.get(host) {
            Some(app) => Some(app),
            // Clients almost always send the canonical form; only a miss pays for making it.
            None => {
                let bare = host.strip_suffix('.').unwrap_or(host);
                if bare.bytes().any(|b| b.is_ascii_uppercase()) {
                    self.hosts.get(bare.to_ascii_lowercase().as_str())
                } else if bare.len() < host.len() {
                    self.hosts.get(bare)
                } else {
                    None
                }
            }
        }?;
        self.apps.get(app)
    }

    pub fn app(&self, app_id: AppId) -> Option<&AppRoute> {
        self.apps.get(&app_id)
    }

    pub fn shard(&self, id: &ShardId) -> Option<&ShardInfo> {
        self.shards.get(id)
    }

    pub fn shards(&self) -> impl Iterator<Item = &ShardInfo> {
        self.shards.values()
    }

    pub fn apps(&self) -> impl Iterator<Item = &AppRoute> {
        self.apps.values()
    }

    /// Every domain registered for `app_id`, sorted.
    pub fn domains_of(&self, app_id: AppId) -> Vec<&Host> {
        let mut domains: Vec<&Host> = self
            .app_domains
            .get(&app_id)
            .map(|d| d.iter().collect())
            .unwrap_or_default();
        domains.sort();
        domains
    }

    /// The app's first-registered domain other than its alternate one: where its short
    /// URLs live.
    pub fn primary_domain(&self, app_id: AppId) -> Option<&Host> {
        let alternate = self.alternates.get(&app_id);
        self.app_domains
            .get(&app_id)?
            .iter()
            .find(|host| Some(*host) != alternate)
    }

    /// The app's alternate domain: the iOS interstitial's button opens the link there, so
    /// the tap crosses to another associated domain and iOS opens the app.
    pub fn alternate_domain(&self, app_id: AppId) -> Option<&Host> {
        self.alternates.get(&app_id)
    }

    pub fn app_count(&self) -> usize {
        self.apps.len()
    }

    pub fn domain_count(&self) -> usize {
        self.hosts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> CatalogRows {
        CatalogRows {
            shards: vec![
                (
                    "s1".into(),
                    "postgres://db1/shard_1".into(),
                    "active".into(),
                    100,
                ),
                (
                    "s2".into(),
                    "postgres://db2/shard_2".into(),
                    "draining".into(),
                    50,
                ),
            ],
            apps: vec![
                (1, "s1".into(), "active".into(), 1),
                (2, "s2".into(), "moving".into(), 3),
            ],
            domains: vec![
                ("go.acme.app".into(), 1, false),
                ("acme.link".into(), 1, false),
                ("l.other.io".into(), 2, false),
            ],
        }
    }

    fn app(id: i64) -> AppId {
        AppId::new(id).unwrap()
    }

    #[test]
    fn resolves_hosts_to_app_and_shard() {
        let map = ShardMap::build(rows()).unwrap();
        let route = map.resolve_host("go.acme.app").unwrap();
        assert_eq!((route.app_id, route.shard.as_str()), (app(1), "s1"));
        assert_eq!(map.resolve_host("GO.Acme.App:8443").unwrap().app_id, app(1));
        assert_eq!(map.resolve_host("go.acme.app.").unwrap().app_id, app(1));
        assert_eq!(map.resolve_host("Go.Acme.App.:443").unwrap().app_id, app(1));
        assert!(map.resolve_host("go.acme.app..").is_none());
        assert!(map.resolve_host(".").is_none());
        let other = map.resolve_host("l.other.io").unwrap();
        assert_eq!(
            (other.shard.as_str(), other.epoch, other.state),
            ("s2", 3, AppState::Moving)
        );
        assert!(map.resolve_host("unknown.example").is_none());
        assert!(map.resolve_host("").is_none());
        assert_eq!(
            map.domains_of(app(1))
                .iter()
                .map(|h| h.as_str())
                .collect::<Vec<_>>(),
            ["acme.link", "go.acme.app"]
        );
    }

    /// Golden routing table: a refactor that silently remaps an app fails here.
    #[test]
    fn routing_is_stable() {
        let map = ShardMap::build(rows()).unwrap();
        let golden = [
            ("go.acme.app", 1, "s1"),
            ("acme.link", 1, "s1"),
            ("l.other.io", 2, "s2"),
        ];
        for (host, app_id, shard) in golden {
            let route = map.resolve_host(host).unwrap();
            assert_eq!(
                (route.app_id, route.shard.as_str()),
                (app(app_id), shard),
                "{host}"
            );
        }
    }

    #[test]
    fn rejects_contradictory_catalogs() {
        let mut bad = rows();
        bad.apps.push((3, "s9".into(), "active".into(), 1));
        assert!(ShardMap::build(bad).unwrap_err().contains("unknown shard"));

        let mut bad = rows();
        bad.domains.push(("x.example".into(), 42, false));
        assert!(ShardMap::build(bad).unwrap_err().contains("unknown app"));

        let mut bad = rows();
        bad.domains.push(("Upper.Example".into(), 1, false));
        assert!(ShardMap::build(bad).is_err());

        let mut bad = rows();
        bad.domains[0].2 = true;
        bad.domains[1].2 = true;
        assert!(ShardMap::build(bad).unwrap_err().contains("two alternate"));

        let mut bad = rows();
        bad.shards[0].2 = "exploding".into();
        assert!(ShardMap::build(bad).is_err());
    }

    #[test]
    fn the_alternate_domain_is_never_primary() {
        let map = ShardMap::build(rows()).unwrap();
        assert_eq!(map.primary_domain(app(1)).unwrap().as_str(), "go.acme.app");
        assert_eq!(map.alternate_domain(app(1)), None);

        let mut r = rows();
        r.domains[0].2 = true;
        r.domains.push(("go3.acme.app".into(), 1, false));
        let map = ShardMap::build(r).unwrap();
        assert_eq!(map.primary_domain(app(1)).unwrap().as_str(), "acme.link");
        assert_eq!(
            map.alternate_domain(app(1)).unwrap().as_str(),
            "go.acme.app"
        );
        // It still serves the app's links.
        assert_eq!(map.resolve_host("go.acme.app").unwrap().app_id, app(1));

        // An app left with only its alternate domain has no short URLs.
        let mut r = rows();
        r.domains[2].2 = true;
        let map = ShardMap::build(r).unwrap();
        assert_eq!(map.primary_domain(app(2)), None);
        assert_eq!(map.alternate_domain(app(2)).unwrap().as_str(), "l.other.io");
    }

    #[test]
    fn a_bad_dsn_only_disables_its_shard() {
        let mut r = rows();
        r.shards[1].1 = "mysql://nope".into();
        let map = ShardMap::build(r).unwrap();
        assert!(
            map.shard(&ShardId::parse("s2").unwrap())
                .unwrap()
                .dsn
                .is_err()
        );
        assert!(
            map.shard(&ShardId::parse("s1").unwrap())
                .unwrap()
                .dsn
                .is_ok()
        );
    }
}
