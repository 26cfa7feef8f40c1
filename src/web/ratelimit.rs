//! Rate limits on public writes and logins, keyed per client and per account or address.
//! A refused request answers 429 with `Retry-After`, as JSON or an HTML page as the client
//! asked (see `web/error.rs`).

use std::hash::Hash;
use std::num::NonZeroU32;
use std::time::Duration;

use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::error::WebError;

/// A keyed limiter: at most `burst` requests at once per key, refilled at `per` intervals.
pub struct Limiter<K: Hash + Eq + Clone> {
    inner: DefaultKeyedRateLimiter<K>,
}

impl<K: Hash + Eq + Clone> Limiter<K> {
    /// `burst` requests, then one more every `per`.
    pub fn new(burst: u32, per: Duration) -> Limiter<K> {
        Limiter::scaled(burst, per, 1)
    }

    /// `scale` times the burst, refilled `scale` times as fast (`RATE_LIMIT_SCALE`).
    pub fn scaled(burst: u32, per: Duration, scale: u32) -> Limiter<K> {
        let scale = scale.max(1);
        let burst = burst.saturating_mul(scale);
        let per = (per / scale).max(Duration::from_nanos(1));
        let quota = Quota::with_period(per)
            .expect("a non-zero period")
            .allow_burst(NonZeroU32::new(burst.max(1)).expect("non-zero"));
        Limiter {
            inner: RateLimiter::keyed(quota),
        }
    }

    /// Counts one request for `key`; over the limit it is a 429 with the wait in seconds.
    pub fn check(&self, key: &K) -> Result<(), WebError> {
        self.inner.check_key(key).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            WebError::RateLimited {
                retry_after: wait.as_secs().max(1),
            }
        })
    }

    /// Forgets keys whose limits have fully refilled (call now and then to bound memory).
    pub fn shrink(&self) {
        self.inner.retain_recent();
        self.inner.shrink_to_fit();
    }
}

/// The client's address, as the key for per-client limits: the peer address, or behind a
/// proxy named in `TRUSTED_PROXIES` the address it forwards (see `web/client.rs`).
pub fn client_key(req: &HttpRequest) -> String {
    super::client::client_addr(req)
        .map(|a| a.to_string())
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_past_the_burst_with_a_retry_after() {
        let l: Limiter<String> = Limiter::new(2, Duration::from_secs(60));
        let k = "1.2.3.4".to_string();
        assert!(l.check(&k).is_ok());
        assert!(l.check(&k).is_ok());
        match l.check(&k) {
            Err(WebError::RateLimited { retry_after }) => assert!((1..=60).contains(&retry_after)),
            other => panic!("expected a rate limit, got {other:?}"),
        }
        assert!(
            l.check(&"5.6.7.8".to_string()).is_ok(),
            "other keys are unaffected"
        );
    }
}
