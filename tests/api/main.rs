//! One integration-test binary (links once): each module is one capability.

mod browser;
mod browser_a11y;
mod browser_smoke;
mod cache;
mod cli;
mod feeds;
mod helpers;
mod lifecycle;
mod pages;
mod search;
mod tools;
