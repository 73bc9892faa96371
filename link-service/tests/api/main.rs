//! The link service over real HTTP against real Postgres; each test on fresh databases.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; a panic is the assertion"
)]

mod association;
mod bad_input;
mod browser;
mod cache;
mod clicks;
mod cookies;
mod device_check;
mod helpers;
mod long_links;
mod outages;
mod platforms;
