//! The `hoplink` binary end to end, against real Postgres.

mod commands;
mod dev_stack;
mod helpers;
