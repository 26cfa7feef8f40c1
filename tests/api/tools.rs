//! Real tools some tests drive (Chromium, MailDev, axe-core, Python validators). Where one
//! is missing the test skips with a printed reason — unless `ACTIONDESK_REQUIRE_TOOLS=1`
//! (set by .ci/run), where a missing tool fails the test loudly.

use std::path::PathBuf;

/// Where a tool is, from its environment variable or its usual place.
pub fn find(env: &str, default: &str) -> Option<PathBuf> {
    let p = PathBuf::from(std::env::var(env).unwrap_or_else(|_| default.to_string()));
    p.exists().then_some(p)
}

/// The tool's path, or `None` after printing why the calling test skips. Panics instead
/// when tools are required.
pub fn require(what: &str, env: &str, default: &str, install: &str) -> Option<PathBuf> {
    if let Some(p) = find(env, default) {
        return Some(p);
    }
    missing(&format!(
        "{what} not found at {default} (or ${env}); install it with {install}"
    ));
    None
}

/// Says why the calling test skips: a tool is missing. Panics instead when tools are
/// required (`ACTIONDESK_REQUIRE_TOOLS=1`, as in CI).
pub fn missing(reason: &str) {
    if std::env::var("ACTIONDESK_REQUIRE_TOOLS").is_ok_and(|v| v == "1") {
        panic!("required tool missing: {reason}");
    }
    eprintln!("SKIPPED: {reason}");
}

/// True when python3 can import `module`; else says why the calling test skips.
pub fn python_has(module: &str) -> bool {
    let ok = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        missing(&format!(
            "python3 module {module} missing; install it with scripts/install-test-tools.sh"
        ));
    }
    ok
}

/// chromedriver, for tests in real headless Chromium.
pub fn chromedriver() -> Option<PathBuf> {
    require(
        "chromedriver",
        "CHROMEDRIVER",
        "/usr/bin/chromedriver",
        "scripts/install-test-tools.sh",
    )
}

/// The MailDev executable, for tests against a real SMTP server.
#[allow(dead_code)]
pub fn maildev() -> Option<PathBuf> {
    require(
        "maildev",
        "MAILDEV_BIN",
        "/opt/maildev/node_modules/.bin/maildev",
        "scripts/install-test-tools.sh",
    )
}

/// axe-core's script, to inject into pages.
#[allow(dead_code)]
pub fn axe_js() -> Option<PathBuf> {
    require(
        "axe-core",
        "AXE_JS",
        "/opt/axe/node_modules/axe-core/axe.min.js",
        "scripts/install-test-tools.sh",
    )
}

/// A free TCP port on loopback.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
