use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::conn::Connection;
use super::plan::Plan;
use super::stats::RunStats;

/// `connections` connections send back to back for `warmup + duration`; only the last
/// `duration` is measured.
pub async fn closed_loop(
    target: SocketAddr,
    plan: &Plan,
    connections: usize,
    warmup: Duration,
    duration: Duration,
) -> RunStats {
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut tasks = Vec::with_capacity(connections);
    for c in 0..connections {
        let plan = plan.clone();
        let offset = plan.offset(c, connections);
        tasks.push(tokio::spawn(async move {
            let mut conn = Connection::new(target);
            let mut stats = RunStats::default();
            let mut i = offset;
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let sent = Instant::now();
                let result = conn.send(plan.at(i)).await;
                i += 1;
                if sent < measure_from {
                    continue;
                }
                match result {
                    Ok(status) => stats.record(status, sent.elapsed()),
                    Err(_) => {
                        stats.transport_errors += 1;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                }
            }
            stats
        }));
    }
    let mut total = RunStats::default();
    for task in tasks {
        if let Ok(stats) = task.await {
            total.merge(&stats);
        }
    }
    total.elapsed = duration;
    total
}
