//! [`LocalClients`]: one Aerospike client per worker runtime.
//!
//! actix-web runs each worker on a single-threaded Tokio runtime of its own, and a socket
//! belongs to the runtime that opened it: its readiness is reported by that runtime's I/O
//! driver. With one client shared by every worker, a read awaited on one worker often
//! rides a connection opened elsewhere, so its answer reaches it through another thread,
//! which on a busy worker also waits for that thread's next poll. So each worker thread
//! gets a client of its own, connected in the background on that thread the first time it
//! asks. Until it is connected (or while it cannot connect), and on the runtime that
//! started the hot tier, the shared client serves.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::ThreadId;
use std::time::{Duration, Instant};

use aerospike::{Client, ClientPolicy};
use prometheus::IntGauge;
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio_util::sync::CancellationToken;

/// Wait before a worker tries again to connect its own client after a failed attempt.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// Tells the clients of different hot tiers in one process apart (tests start several).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

enum Slot {
    Connecting,
    Ready(Client),
    RetryAt(Instant),
}

thread_local! {
    /// This thread's clients, by [`LocalClients::id`].
    static SLOTS: RefCell<HashMap<u64, Slot>> = RefCell::new(HashMap::new());
}

pub(crate) struct LocalClients {
    id: u64,
    /// The thread that started the hot tier: its runtime uses the shared client.
    home: ThreadId,
    seeds: String,
    policy: ClientPolicy,
    connect_timeout: Duration,
    stop: CancellationToken,
    /// Every client opened, so that [`LocalClients::close_all`] can close them.
    opened: Mutex<Vec<Client>>,
    connected: IntGauge,
}

impl LocalClients {
    pub fn new(
        seeds: String,
        policy: ClientPolicy,
        connect_timeout: Duration,
        stop: CancellationToken,
        connected: IntGauge,
    ) -> Arc<Self> {
        Arc::new(Self {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            home: std::thread::current().id(),
            seeds,
            policy,
            connect_timeout,
            stop,
            opened: Mutex::new(Vec::new()),
            connected,
        })
    }

    /// This worker thread's own client when it is connected. On a worker thread without
    /// one, starts connecting it and answers `None` (the caller uses the shared client).
    pub fn get(self: &Arc<Self>) -> Option<Client> {
        let handle = Handle::try_current().ok()?;
        if handle.runtime_flavor() != RuntimeFlavor::CurrentThread
            || std::thread::current().id() == self.home
            || self.stop.is_cancelled()
        {
            return None;
        }
        SLOTS.with(|slots| {
            let mut slots = slots.borrow_mut();
            match slots.get(&self.id) {
                Some(Slot::Ready(client)) => return Some(client.clone()),
                Some(Slot::Connecting) => return None,
                Some(Slot::RetryAt(at)) if *at > Instant::now() => return None,
                Some(Slot::RetryAt(_)) | None => {}
            }
            slots.insert(self.id, Slot::Connecting);
            // A current-thread runtime runs this task on this thread, so it fills in this
            // thread's slot.
            handle.spawn(Arc::clone(self).connect());
            None
        })
    }

    async fn connect(self: Arc<Self>) {
        let attempt = tokio::time::timeout(
            self.connect_timeout * 5,
            Client::new(&self.policy, &self.seeds),
        );
        let result = tokio::select! {
            () = self.stop.cancelled() => return,
            result = attempt => result,
        };
        let slot = match result {
            Ok(Ok(client)) => {
                if !self.keep(&client) {
                    // Closed while connecting: nothing else would close this one.
                    let _ = client.close().await;
                    return;
                }
                Slot::Ready(client)
            }
            Ok(Err(error)) => {
                tracing::debug!(%error, "a worker's Aerospike client could not connect");
                Slot::RetryAt(Instant::now() + RETRY_AFTER)
            }
            Err(_) => {
                tracing::debug!("a worker's Aerospike client timed out connecting");
                Slot::RetryAt(Instant::now() + RETRY_AFTER)
            }
        };
        SLOTS.with(|slots| slots.borrow_mut().insert(self.id, slot));
    }

    /// Records a new client for [`Self::close_all`], unless closing has begun.
    fn keep(&self, client: &Client) -> bool {
        let mut opened = self.opened.lock().unwrap_or_else(|p| p.into_inner());
        if self.stop.is_cancelled() {
            return false;
        }
        opened.push(client.clone());
        self.connected.set(opened.len() as i64);
        true
    }

    /// Closes every worker client (at shutdown), together: each close waits for its tend
    /// task to notice, up to a tend interval. Workers still asking get `None`.
    pub async fn close_all(&self) {
        let clients = std::mem::take(&mut *self.opened.lock().unwrap_or_else(|p| p.into_inner()));
        self.connected.set(0);
        let closes = clients.iter().map(|client| async move {
            if let Err(error) = client.close().await {
                tracing::debug!(%error, "closing a worker's Aerospike client failed");
            }
        });
        futures_util::future::join_all(closes).await;
    }
}
