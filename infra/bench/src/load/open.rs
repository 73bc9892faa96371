use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::conn::Connection;
use super::plan::Plan;
use super::stats::RunStats;

/// Sends `rate` requests per second in total over `connections` connections for
/// `duration`. Each request has an intended send time on a fixed schedule; its latency is
/// measured from that time, so time spent waiting behind a slow response counts
/// (coordinated omission corrected, as wrk2 does).
pub async fn open_loop(
    target: SocketAddr,
    plan: &Plan,
    connections: usize,
    rate: f64,
    duration: Duration,
) -> RunStats {
    let connections = connections.max(1);
    let per_conn = (rate / connections as f64).max(0.001);
    let interval = Duration::from_secs_f64(1.0 / per_conn);
    let start = Instant::now() + Duration::from_millis(50);
    let end = start + duration;
    let mut tasks = Vec::with_capacity(connections);
    for c in 0..connections {
        let plan = plan.clone();
        let offset = plan.offset(c, connections);
        // Stagger connections across one interval so they do not fire in lockstep.
        let first = start + interval.mul_f64(c as f64 / connections as f64);
        tasks.push(tokio::spawn(async move {
            let mut conn = Connection::new(target);
            let _ = conn.connect().await;
            let mut stats = RunStats::default();
            let mut n: u32 = 0;
            loop {
                let intended = first + interval * n;
                if intended >= end {
                    break;
                }
                tokio::time::sleep_until(intended.into()).await;
                let result = conn.send(plan.at(offset + n as usize)).await;
                n += 1;
                match result {
                    Ok(status) => stats.record(status, intended.elapsed()),
                    Err(_) => stats.transport_errors += 1,
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
