//! The `hoplink` binary end to end, against real Postgres.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; a panic is the assertion"
)]

mod commands;
mod dev_stack;
mod events;
mod helpers;
mod spool;
