//! One integration-test binary (links once): each module is one capability.

mod api_tokens;
mod browser;
mod browser_smoke;
mod cli;
mod helpers;
mod lifecycle;
mod pages;
mod reps;
mod tools;
