//! VERP return paths: with `BOUNCE_ADDRESS` = `bounces@example.org`, a message to subscriber
//! 42 leaves with the envelope sender `bounces+TAG@example.org`, TAG 16 hex digits that
//! only this site can turn back into 42 (a keyed 4-round Feistel permutation of the id and
//! 32 zero bits: no row counts shown, a forged tag names nobody but by a 1 in 2^32 chance).
//! Four SHA-256 blocks a message: nothing a digest run of 100,000 notices.

use lettre::Address;
use sha2::{Digest, Sha256};

/// The bounce address and the key its tags are made with.
#[derive(Clone)]
pub struct Verp {
    user: String,
    domain: String,
    /// SHA-256 with the key already absorbed; cloned for each round.
    keyed: Sha256,
}

impl std::fmt::Debug for Verp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Verp({}@{})", self.user, self.domain)
    }
}

const ROUNDS: u8 = 4;

impl Verp {
    /// Tags for `bounce` (a plain `user@domain`), keyed by the site's secret.
    pub fn new(bounce: &Address, secret: &[u8]) -> Verp {
        let mut keyed = Sha256::new();
        keyed.update(b"actiondesk verp\0");
        keyed.update(secret);
        keyed.update(b"\0");
        Verp {
            user: bounce.user().to_string(),
            domain: bounce.domain().to_string(),
            keyed,
        }
    }

    fn round(&self, i: u8, half: u32) -> u32 {
        let mut h = self.keyed.clone();
        h.update([i]);
        h.update(half.to_be_bytes());
        let d = h.finalize();
        u32::from_be_bytes([d[0], d[1], d[2], d[3]])
    }

    /// The tag that names this subscriber.
    pub fn tag(&self, subscriber_id: i32) -> String {
        let (mut l, mut r) = (subscriber_id as u32, 0u32);
        for i in 0..ROUNDS {
            (l, r) = (r, l ^ self.round(i, r));
        }
        format!("{l:08x}{r:08x}")
    }

    /// The subscriber a tag names, if it is one of ours.
    pub fn subscriber(&self, tag: &str) -> Option<i32> {
        if tag.len() != 16 || !tag.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let (mut l, mut r) = (
            u32::from_str_radix(&tag[..8], 16).ok()?,
            u32::from_str_radix(&tag[8..], 16).ok()?,
        );
        for i in (0..ROUNDS).rev() {
            (l, r) = (r ^ self.round(i, l), l);
        }
        (r == 0 && l <= i32::MAX as u32).then_some(l as i32)
    }

    /// The envelope sender of a message to this subscriber (the plain address for none).
    pub fn return_path(&self, subscriber_id: Option<i32>) -> Address {
        let user = match subscriber_id {
            Some(id) => format!("{}+{}", self.user, self.tag(id)),
            None => self.user.clone(),
        };
        Address::new(user, &self.domain).expect("a valid address stays valid with +hex")
    }

    /// The subscriber named by an address such as `bounces+TAG@example.org` (any case,
    /// angle brackets allowed); `None` for any other address.
    pub fn subscriber_in(&self, address: &str) -> Option<i32> {
        let a = address.trim().trim_start_matches('<').trim_end_matches('>');
        let (local, domain) = a.rsplit_once('@')?;
        let (user, tag) = local.split_once('+')?;
        if !user.eq_ignore_ascii_case(&self.user) || !domain.eq_ignore_ascii_case(&self.domain) {
            return None;
        }
        self.subscriber(&tag.to_ascii_lowercase())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verp(key: &[u8]) -> Verp {
        Verp::new(&"bounces@example.org".parse().unwrap(), key)
    }

    #[test]
    fn tags_turn_back_into_their_subscriber() {
        let v = verp(b"k1");
        for id in [1, 2, 3, 42, 99_999, i32::MAX] {
            let addr = v.return_path(Some(id)).to_string();
            assert!(addr.starts_with("bounces+") && addr.ends_with("@example.org"));
            assert_eq!(v.subscriber_in(&addr), Some(id), "{addr}");
            assert_eq!(
                v.subscriber_in(&format!("<{}>", addr.to_uppercase())),
                Some(id)
            );
        }
        assert_eq!(v.return_path(None).to_string(), "bounces@example.org");
    }

    #[test]
    fn tags_hide_the_id_and_need_the_key() {
        let (a, b) = (verp(b"k1"), verp(b"k2"));
        assert_ne!(a.tag(1), b.tag(1));
        assert_ne!(b.subscriber(&a.tag(1)), Some(1));
        // Neighbouring ids give unrelated tags.
        assert_ne!(a.tag(1)[..8], a.tag(2)[..8]);
        assert_eq!(a.subscriber("0000000000000001"), None);
        assert_eq!(a.subscriber("xyz"), None);
        assert_eq!(a.subscriber_in("other+0000000000000001@example.org"), None);
        assert_eq!(
            a.subscriber_in(&format!("bounces+{}@elsewhere.org", a.tag(5))),
            None
        );
    }
}
