//! One integration-test binary (links once): each module is one capability.

mod browser;
mod browser_smoke;
mod cli;
mod digests;
mod helpers;
mod lifecycle;
mod mailbox;
mod pages;
mod tools;
