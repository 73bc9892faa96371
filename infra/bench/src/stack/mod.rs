//! The systems under test: bench databases with seeded links, Hoplink services in their
//! own processes (so their memory and CPU can be read apart from the load generator's),
//! nginx as the yardstick, and a bare actix-web server as the framework's floor.

pub mod db;
pub mod floor;
pub mod nginx;
pub mod process;
