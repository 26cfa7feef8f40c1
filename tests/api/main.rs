//! One integration-test binary (links once): each module is one capability.

mod cli;
mod helpers;
mod lifecycle;
mod pages;
