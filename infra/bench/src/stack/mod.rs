//! The systems under test: bench databases with seeded links, Hoplink services in their
//! own processes (so their memory and CPU can be read apart from the load generator's),
//! and nginx as the yardstick.

pub mod db;
pub mod nginx;
pub mod process;
