use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use tokio::sync::Barrier;

use super::conn::Connection;
use super::plan::Plan;
use super::stats::RunStats;

/// Opens `connections` connections, then releases them together, each sending
/// `per_connection` requests back to back: a flash crowd on whatever the plan asks for.
/// Connection `c` sends plan entries `c * per_connection ..`, so a plan of
/// `connections * per_connection` distinct requests is covered exactly once.
pub async fn burst(
    target: SocketAddr,
    plan: &Plan,
    connections: usize,
    per_connection: usize,
) -> RunStats {
    let ready = Arc::new(Barrier::new(connections + 1));
    let mut tasks = Vec::with_capacity(connections);
    for c in 0..connections {
        let plan = plan.clone();
        let ready = ready.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = Connection::new(target);
            let connected = conn.connect().await;
            ready.wait().await;
            let mut stats = RunStats::default();
            if connected.is_err() {
                stats.transport_errors += per_connection as u64;
                return stats;
            }
            for i in 0..per_connection {
                let sent = Instant::now();
                match conn.send(plan.at(c * per_connection + i)).await {
                    Ok(status) => stats.record(status, sent.elapsed()),
                    Err(_) => stats.transport_errors += 1,
                }
            }
            stats
        }));
    }
    ready.wait().await;
    let started = Instant::now();
    let mut total = RunStats::default();
    for task in tasks {
        if let Ok(stats) = task.await {
            total.merge(&stats);
        }
    }
    total.elapsed = started.elapsed();
    total
}
