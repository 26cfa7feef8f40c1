//! One integration-test binary (links once): each module is one capability.

mod admin_actions;
mod admin_auth;
mod admin_content;
mod admin_support;
mod admin_xss;
mod api_openapi;
mod api_reads;
mod api_support;
mod api_tokens;
mod api_writes;
mod browser;
mod browser_a11y;
mod browser_admin;
mod browser_smoke;
mod cache;
mod cli;
mod digests;
mod feeds;
mod helpers;
mod lifecycle;
mod mailbox;
mod outcomes;
mod pages;
mod reps;
mod search;
mod tools;
