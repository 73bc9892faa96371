//! The API service over real HTTP against real Postgres; each test on fresh databases.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; a panic is the assertion"
)]

mod helpers;
