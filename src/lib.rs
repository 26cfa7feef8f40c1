//! actiondesk: an advocacy campaign's calls to action in one trustworthy, always-current place.

pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
#[cfg(any(test, fuzzing))]
pub mod fuzz_checks;
pub mod mail;
pub mod reps;
pub mod security;
pub mod startup;
pub mod web;
pub mod worker;
