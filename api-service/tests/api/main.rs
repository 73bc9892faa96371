//! The API service over real HTTP against real Postgres; each test on fresh databases.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers fail loudly; a panic is the assertion"
)]

mod developer_admin;
mod developer_app;
mod developer_auth;
mod developer_bulk;
mod developer_domains;
mod developer_keys;
mod developer_links;
mod developer_openapi;
mod developer_outage;
mod developer_purge;
mod developer_qr;
mod developer_stats;
mod developer_support;
mod helpers;
mod sdk_events;
mod sdk_hot;
mod sdk_input;
mod sdk_load;
mod sdk_openapi;
mod sdk_sessions;
mod sdk_support;
mod sdk_urls;
