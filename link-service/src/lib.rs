//! Hoplink's link service: the click path.

pub mod pages;
