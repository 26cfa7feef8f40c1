//! Settings from the environment (SPEC "Configuration"), validated once at start.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;

use crate::db::DatabaseUrl;

/// A setting that could not be used, naming the variable.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

/// Everything the service reads from its environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    pub bind: String,
    pub base_url: url::Url,
    pub smtp_url: Option<String>,
    pub mail_dir: PathBuf,
    pub mail_from: Mailbox,
    /// `BOUNCE_ADDRESS`: when set (`bounces@example.org`), each message's envelope sender
    /// (Return-Path) is `bounces+ID@example.org`, ID naming its subscriber, so a bounce
    /// reaching it maps back whatever the remote server rewrote.
    pub bounce_address: Option<lettre::Address>,
    /// `SECRET_KEY`; when unset one is generated and kept in the database.
    pub secret_key: Option<String>,
    pub digest_interval: Duration,
    /// `DIGEST_TIMEZONE`: where daily (08:00) and weekly (Monday 08:00) digests are timed.
    pub digest_timezone: chrono_tz::Tz,
    /// `DIGEST_QUIET_SECS`: an `immediate` digest waits this long after the latest change to
    /// what its subscriber follows, so one editing session makes one email.
    pub digest_quiet: Duration,
    /// `DIGEST_MAX_DELAY_SECS`: and at most this long after the first change it carries.
    pub digest_max_delay: Duration,
    /// `SMTP_POOL_SIZE`: SMTP connections used in parallel.
    pub smtp_pool_size: u32,
    /// `MAIL_RETRY_SECS`: the first wait after a transient failure (doubling after each).
    pub mail_retry_base: Duration,
    /// `MAIL_CLAIM_LEASE_SECS`: after this, a message claimed by a sender that never
    /// finished (a crash) may be claimed again.
    pub mail_claim_lease: Duration,
    /// `MAIL_RATE_PER_SEC`: at most this many messages a second, over every sender of every
    /// process (kept in the database). Unset: unlimited.
    pub mail_rate_per_sec: Option<u32>,
    /// `MAIL_RATE_PER_HOUR`: at most this many messages an hour; once spent, a run leaves
    /// the rest pending for later. Unset: unlimited.
    pub mail_rate_per_hour: Option<u32>,
    /// `MAIL_RETENTION_DAYS`: delivered outbox rows and their one-time tokens older than
    /// this are pruned by the worker.
    pub mail_retention_days: u32,
    /// `PUBLIC_CACHE_SECS`: how long a shared cache (CDN, nginx `proxy_cache`) may keep a
    /// public page before asking again (`s-maxage`).
    pub public_cache: Duration,
    /// `PUBLIC_STALE_SECS`: how long after that it may still answer with the old page
    /// while it fetches the new one (`stale-while-revalidate`).
    pub public_stale: Duration,
    /// `PAGE_CACHE_MB`: the memory kept for rendered pages, in MiB.
    pub page_cache_bytes: u64,
    /// `DIGEST_NICE`: the CPU priority (nice, 0 to 19) `actiondesk digest run` gives itself,
    /// so a run on a machine that also serves pages leaves the cores to visitors.
    pub digest_nice: i32,
    /// The `Cache-Control` of public pages, made from the two above.
    public_control: actix_web::http::header::HeaderValue,
    /// `TRUSTED_PROXIES`: the reverse proxies whose `Forwarded` / `X-Forwarded-For` name
    /// the client. Empty: the peer address is the client.
    pub trusted_proxies: Vec<IpNet>,
    /// `METRICS_TOKEN`: when set, `/metrics` answers only `Authorization: Bearer TOKEN`.
    pub metrics_token: Option<String>,
    /// `BODY_TIMEOUT_SECS`: how long a request body may take to arrive.
    pub body_timeout: Duration,
    /// `RATE_LIMIT_SCALE`: multiplies the bursts of the public and API rate limits and
    /// divides their refill intervals (1, the default: the documented limits). For test
    /// runs (schemathesis, soak) that must not be throttled; logins are never scaled.
    pub rate_limit_scale: u32,
}

/// An address or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`, `127.0.0.1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpNet {
    addr: IpAddr,
    prefix: u8,
}

impl IpNet {
    /// Parses `ADDR` or `ADDR/PREFIX`.
    pub fn parse(raw: &str) -> Option<IpNet> {
        let raw = raw.trim();
        let (addr, prefix) = match raw.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (raw, None),
        };
        let addr: IpAddr = addr
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?;
        let addr = addr.to_canonical();
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|&p| p <= max)?,
        };
        Some(IpNet { addr, prefix })
    }

    /// Whether `ip` is inside this block (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

fn var(name: &'static str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Settings {
    /// The zone times are shown in where a campaign names none (`DIGEST_TIMEZONE`).
    pub fn zone(&self) -> crate::domain::Zone {
        crate::domain::Zone::of(self.digest_timezone)
    }

    /// Reads the process environment. `bind` overrides `BIND` (the `--bind` flag).
    pub fn from_env(bind: Option<String>) -> Result<Settings, ConfigError> {
        Settings::from_lookup(var, bind)
    }

    /// Reads settings through `lookup`, so tests need not touch the process environment.
    pub fn from_lookup(
        lookup: impl Fn(&'static str) -> Option<String>,
        bind: Option<String>,
    ) -> Result<Settings, ConfigError> {
        let err = |var: &'static str, message: String| ConfigError { var, message };
        let raw_db = lookup("DATABASE_URL").unwrap_or_else(|| "sqlite://actiondesk.db".into());
        let database_url = DatabaseUrl::parse(&raw_db)
            .map_err(|e| err("DATABASE_URL", format!("{raw_db:?} {e}")))?;
        let bind = bind
            .or_else(|| lookup("BIND"))
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        if bind
            .rsplit_once(':')
            .and_then(|(_, p)| p.parse::<u16>().ok())
            .is_none()
        {
            return Err(err("BIND", format!("{bind:?} is not HOST:PORT")));
        }
        let raw_base = lookup("BASE_URL").unwrap_or_else(|| format!("http://{bind}"));
        let base_url = url::Url::parse(raw_base.trim_end_matches('/'))
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| err("BASE_URL", format!("{raw_base:?} is not an http(s) URL")))?;
        let smtp_url = lookup("SMTP_URL");
        if let Some(s) = &smtp_url {
            if !(s.starts_with("smtp://") || s.starts_with("smtps://")) {
                return Err(err(
                    "SMTP_URL",
                    "must start with smtp:// or smtps://".into(),
                ));
            }
        }
        let mail_dir = PathBuf::from(lookup("MAIL_DIR").unwrap_or_else(|| "outbox".into()));
        let raw_from =
            lookup("MAIL_FROM").unwrap_or_else(|| "actiondesk <noreply@localhost>".into());
        let mail_from = raw_from
            .parse::<Mailbox>()
            .map_err(|e| err("MAIL_FROM", format!("{raw_from:?} is not a mailbox ({e})")))?;
        let bounce_address = match lookup("BOUNCE_ADDRESS").filter(|v| !v.trim().is_empty()) {
            None => None,
            Some(raw) => Some(
                raw.trim()
                    .parse::<lettre::Address>()
                    .ok()
                    .filter(|a| !a.user().contains('+'))
                    .ok_or_else(|| {
                        err(
                            "BOUNCE_ADDRESS",
                            format!("{raw:?} is not a plain address (user@domain, no '+')"),
                        )
                    })?,
            ),
        };
        let digest_interval = match lookup("DIGEST_INTERVAL_SECS") {
            None => Duration::from_secs(60),
            Some(v) => v
                .trim()
                .parse::<u64>()
                .ok()
                .filter(|&n| n > 0)
                .map(Duration::from_secs)
                .ok_or_else(|| {
                    err(
                        "DIGEST_INTERVAL_SECS",
                        format!("{v:?} is not a positive number of seconds"),
                    )
                })?,
        };
        let secs = |var: &'static str, default: u64| -> Result<Duration, ConfigError> {
            match lookup(var) {
                None => Ok(Duration::from_secs(default)),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|&n| n > 0)
                    .map(Duration::from_secs)
                    .ok_or_else(|| err(var, format!("{v:?} is not a positive number of seconds"))),
            }
        };
        let raw_tz = lookup("DIGEST_TIMEZONE").unwrap_or_else(|| "UTC".into());
        let digest_timezone = raw_tz.trim().parse::<chrono_tz::Tz>().map_err(|_| {
            err(
                "DIGEST_TIMEZONE",
                format!("{raw_tz:?} is not an IANA time zone such as America/New_York"),
            )
        })?;
        let smtp_pool_size = match lookup("SMTP_POOL_SIZE") {
            None => 8,
            Some(v) => v
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=256).contains(n))
                .ok_or_else(|| err("SMTP_POOL_SIZE", format!("{v:?} is not 1 to 256")))?,
        };
        let mail_retry_base = secs("MAIL_RETRY_SECS", 60)?;
        let mail_claim_lease = secs("MAIL_CLAIM_LEASE_SECS", 300)?;
        let whole = |var: &'static str, default: u64, max: u64| -> Result<u64, ConfigError> {
            match lookup(var) {
                None => Ok(default),
                Some(v) => v
                    .trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n <= max)
                    .ok_or_else(|| {
                        err(var, format!("{v:?} is not a whole number from 0 to {max}"))
                    }),
            }
        };
        let rate = |var: &'static str| -> Result<Option<u32>, ConfigError> {
            match lookup(var) {
                None => Ok(None),
                Some(v) if v.trim().is_empty() => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=10_000_000).contains(n))
                    .map(Some)
                    .ok_or_else(|| {
                        err(
                            var,
                            format!("{v:?} is not a whole number from 1 to 10000000"),
                        )
                    }),
            }
        };
        let mail_rate_per_sec = rate("MAIL_RATE_PER_SEC")?;
        let mail_rate_per_hour = rate("MAIL_RATE_PER_HOUR")?;
        let mail_retention_days = whole("MAIL_RETENTION_DAYS", 90, 36_500)?.max(1) as u32;
        let public_cache = Duration::from_secs(whole("PUBLIC_CACHE_SECS", 5, 86_400)?);
        let public_stale = Duration::from_secs(whole("PUBLIC_STALE_SECS", 30, 86_400)?);
        let page_cache_mb = whole("PAGE_CACHE_MB", 64, 65_536)?.max(1);
        let digest_nice = whole("DIGEST_NICE", 10, 19)? as i32;
        let body_timeout = secs("BODY_TIMEOUT_SECS", 10)?;
        let rate_limit_scale = whole("RATE_LIMIT_SCALE", 1, 1_000_000)?.max(1) as u32;
        let digest_quiet = Duration::from_secs(whole("DIGEST_QUIET_SECS", 120, 86_400)?);
        let digest_max_delay = Duration::from_secs(whole("DIGEST_MAX_DELAY_SECS", 900, 604_800)?);
        let trusted_proxies = match lookup("TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    IpNet::parse(p).ok_or_else(|| {
                        err(
                            "TRUSTED_PROXIES",
                            format!("{p:?} is not an IP address or CIDR block (like 10.0.0.0/8)"),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()?,
        };
        Ok(Settings {
            database_url,
            bind,
            base_url,
            smtp_url,
            mail_dir,
            mail_from,
            bounce_address,
            secret_key: lookup("SECRET_KEY"),
            digest_interval,
            digest_timezone,
            digest_quiet,
            digest_max_delay,
            smtp_pool_size,
            mail_retry_base,
            mail_claim_lease,
            mail_rate_per_sec,
            mail_rate_per_hour,
            mail_retention_days,
            public_control: actix_web::http::header::HeaderValue::from_str(&format!(
                "public, max-age=0, s-maxage={}, stale-while-revalidate={}",
                public_cache.as_secs(),
                public_stale.as_secs()
            ))
            .expect("ASCII"),
            digest_nice,
            public_cache,
            public_stale,
            page_cache_bytes: page_cache_mb * 1024 * 1024,
            trusted_proxies,
            metrics_token: lookup("METRICS_TOKEN").map(|t| t.trim().to_string()),
            body_timeout,
            rate_limit_scale,
        })
    }

    /// The `Cache-Control` of a public page: browsers ask again each time (with the ETag),
    /// shared caches may keep it `PUBLIC_CACHE_SECS` and serve it stale while refreshing.
    pub fn public_cache_control(&self) -> actix_web::http::header::HeaderValue {
        self.public_control.clone()
    }

    /// An absolute link: `BASE_URL` joined with `path` (which starts with '/').
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{}", self.base_url.as_str().trim_end_matches('/'), path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn with(vars: &[(&'static str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<&str, String> = vars.iter().map(|(k, v)| (*k, v.to_string())).collect();
        Settings::from_lookup(|k| map.get(k).cloned(), None)
    }

    #[test]
    fn defaults_work_on_a_fresh_clone() {
        let s = with(&[]).unwrap();
        assert_eq!(s.database_url, DatabaseUrl::Sqlite("actiondesk.db".into()));
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(s.absolute("/actions/x"), "http://127.0.0.1:8080/actions/x");
        assert_eq!(s.digest_interval, Duration::from_secs(60));
        assert_eq!(s.digest_quiet, Duration::from_secs(120));
        assert_eq!(s.digest_max_delay, Duration::from_secs(900));
        assert!(s.smtp_url.is_none());
        assert_eq!(s.rate_limit_scale, 1);
        assert_eq!(
            with(&[("RATE_LIMIT_SCALE", "100")])
                .unwrap()
                .rate_limit_scale,
            100
        );
    }

    #[test]
    fn bad_values_name_their_variable() {
        for (k, v) in [
            ("DATABASE_URL", "mysql://x"),
            ("BIND", "nope"),
            ("BASE_URL", "ftp://x"),
            ("SMTP_URL", "http://x"),
            ("MAIL_FROM", "not a mailbox"),
            ("BOUNCE_ADDRESS", "bounces"),
            ("BOUNCE_ADDRESS", "bounces+x@example.org"),
            ("DIGEST_INTERVAL_SECS", "-3"),
            ("DIGEST_TIMEZONE", "Mars/Olympus"),
            ("SMTP_POOL_SIZE", "0"),
            ("MAIL_CLAIM_LEASE_SECS", "x"),
            ("MAIL_RATE_PER_SEC", "0"),
            ("MAIL_RATE_PER_HOUR", "lots"),
            ("MAIL_RETENTION_DAYS", "-1"),
            ("PUBLIC_CACHE_SECS", "soon"),
            ("PAGE_CACHE_MB", "-1"),
            ("DIGEST_NICE", "20"),
            ("TRUSTED_PROXIES", "10.0.0.1, nonsense"),
            ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("BODY_TIMEOUT_SECS", "0"),
            ("RATE_LIMIT_SCALE", "many"),
        ] {
            let e = with(&[(k, v)]).unwrap_err();
            assert_eq!(e.var, k, "{e}");
        }
    }

    #[test]
    fn trusted_proxies_take_addresses_and_blocks() {
        let s = with(&[("TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8,2001:db8::/32 ,")]).unwrap();
        let has = |ip: &str| {
            let ip: IpAddr = ip.parse().unwrap();
            s.trusted_proxies.iter().any(|n| n.contains(ip))
        };
        assert!(has("127.0.0.1"));
        assert!(has("::ffff:127.0.0.1"));
        assert!(!has("127.0.0.2"));
        assert!(has("10.200.3.4"));
        assert!(!has("11.0.0.1"));
        assert!(has("2001:db8:1::5"));
        assert!(!has("2001:db9::5"));
        assert!(IpNet::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(with(&[]).unwrap().trusted_proxies.is_empty());
    }

    #[test]
    fn database_urls() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://a/b.db").unwrap(),
            DatabaseUrl::Sqlite("a/b.db".into())
        );
        assert_eq!(
            DatabaseUrl::parse("x.db").unwrap(),
            DatabaseUrl::Sqlite("x.db".into())
        );
        assert!(DatabaseUrl::parse("postgres://u:p@localhost/db")
            .unwrap()
            .is_postgres());
        assert!(DatabaseUrl::parse("postgres://u:secret@h/db")
            .unwrap()
            .redacted()
            .contains("****"));
        assert!(DatabaseUrl::parse("").is_err());
    }
}
