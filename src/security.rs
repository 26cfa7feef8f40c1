//! Secrets: argon2id password hashes, random tokens, and the hashes tokens are stored as.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The shortest password an organizer may choose.
pub const MIN_PASSWORD_LEN: usize = 10;

/// Hashes a password with argon2id and a fresh salt (PHC string format).
pub fn hash_password(password: &str) -> Result<String, String> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(format!("must be at least {MIN_PASSWORD_LEN} characters"));
    }
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored hash; a malformed hash never verifies.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash with the same cost as a real one, to verify against when no account matches, so
/// that a wrong email takes as long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("not-a-real-password").expect("hashing works"))
}

/// A new random token: 32 bytes, hex (64 characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// How a token is stored: its SHA-256, hex. Tokens carry 256 random bits, so a fast hash
/// is enough; a leaked table yields no usable token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// A token that names the row it is stored in: the row id as 16 hex digits, then a
/// verifier of 24 random bytes (48 hex digits, 192 bits) of which only the hash is stored.
/// 64 hex digits in all, like [`new_token`]. Looking one up reads the row by its id, so
/// storing one appends to its table rather than inserting into an index on a random key.
pub mod split {
    use rand::RngCore;
    use subtle::ConstantTimeEq;

    /// A new verifier, to be stored as its [`super::token_hash`] in a new row.
    pub fn new_verifier() -> String {
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    }

    /// The token for the row `id` that holds the hash of `verifier`, in the first form
    /// (the row id in plain hex, which tells how many tokens were made): still read, no
    /// longer made. See [`token_keyed`].
    pub fn token(id: i32, verifier: &str) -> String {
        format!("{:016x}{verifier}", id as u32)
    }

    /// The token for the row `id`, its id through the site's [`super::ids::Permutation`].
    pub fn token_keyed(p: &super::ids::Permutation, id: i32, verifier: &str) -> String {
        format!("{:016x}{verifier}", p.encrypt(id as u32 as u64))
    }

    /// The number and verifier of a token of either form.
    fn parts(token: &str) -> Option<(u64, &str)> {
        let token = token.trim();
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        Some((u64::from_str_radix(&token[..16], 16).ok()?, &token[16..]))
    }

    /// The row id and verifier a token of the first (plain) form names.
    pub fn parse(token: &str) -> Option<(i32, &str)> {
        let (id, verifier) = parts(token)?;
        Some((i32::try_from(id).ok()?, verifier))
    }

    /// The row id and verifier a token made by [`token_keyed`] names.
    pub fn parse_keyed<'t>(p: &super::ids::Permutation, token: &'t str) -> Option<(i32, &'t str)> {
        let (public, verifier) = parts(token)?;
        Some((i32::try_from(p.decrypt(public)).ok()?, verifier))
    }

    /// Whether `verifier` is the one whose hash was stored, compared in constant time.
    pub fn matches(verifier: &str, stored_hash: &str) -> bool {
        super::token_hash(verifier)
            .as_bytes()
            .ct_eq(stored_hash.as_bytes())
            .into()
    }
}

/// Identifiers that name a row without telling how many rows there are: the row id
/// through a keyed permutation of 64-bit numbers (a 4-round Feistel network whose round
/// function is SHA-256 under the key), so looking one up still reads one row by its id.
pub mod ids {
    use sha2::{Digest, Sha256};

    /// A keyed permutation of 64-bit numbers, and a keyed digest for Message-IDs.
    #[derive(Clone)]
    pub struct Permutation {
        keyed: Sha256,
    }

    const ROUNDS: u8 = 4;

    impl Permutation {
        /// The permutation under `key` (at least 16 random bytes).
        pub fn new(key: &[u8]) -> Permutation {
            Permutation {
                keyed: Sha256::new()
                    .chain_update(b"actiondesk-ids\0")
                    .chain_update(key),
            }
        }

        fn round(&self, r: u8, half: u32) -> u32 {
            let d = self
                .keyed
                .clone()
                .chain_update([r])
                .chain_update(half.to_be_bytes())
                .finalize();
            u32::from_be_bytes([d[0], d[1], d[2], d[3]])
        }

        /// The public number of row `id`.
        pub fn encrypt(&self, id: u64) -> u64 {
            let (mut l, mut r) = ((id >> 32) as u32, id as u32);
            for i in 0..ROUNDS {
                (l, r) = (r, l ^ self.round(i, r));
            }
            (u64::from(l) << 32) | u64::from(r)
        }

        /// The row id of a public number.
        pub fn decrypt(&self, public: u64) -> u64 {
            let (mut l, mut r) = ((public >> 32) as u32, public as u32);
            for i in (0..ROUNDS).rev() {
                (l, r) = (r ^ self.round(i, l), l);
            }
            (u64::from(l) << 32) | u64::from(r)
        }

        /// 32 hex digits that stand for `what` and reveal nothing of it (a Message-ID's
        /// local part).
        pub fn digest(&self, what: &str) -> String {
            let d = self
                .keyed
                .clone()
                .chain_update(b"\0message-id\0")
                .chain_update(what.as_bytes())
                .finalize();
            hex::encode(&d[..16])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_permutation_round_trips_and_hides_the_order() {
        let p = ids::Permutation::new(b"0123456789abcdef0123456789abcdef");
        let q = ids::Permutation::new(b"another key, another permutation");
        for id in [0u64, 1, 2, 41, 42, 1 << 31, u64::MAX] {
            assert_eq!(p.decrypt(p.encrypt(id)), id);
            assert_ne!(p.encrypt(id), q.encrypt(id));
        }
        let (a, b) = (p.encrypt(1), p.encrypt(2));
        assert!(a != 1 && b != 2 && a.abs_diff(b) > 1_000_000, "{a:x} {b:x}");
        assert_eq!(p.digest("digest:1:2"), p.digest("digest:1:2"));
        assert_ne!(p.digest("digest:1:2"), p.digest("digest:1:3"));
    }

    #[test]
    fn split_tokens_name_their_row_and_check_their_verifier() {
        let v = split::new_verifier();
        assert_eq!(v.len(), 48);
        let t = split::token(42, &v);
        assert_eq!(t.len(), 64);
        assert_eq!(split::parse(&t), Some((42, v.as_str())));
        assert_eq!(split::parse(&format!(" {t}\n")), Some((42, v.as_str())));
        assert!(split::matches(&v, &token_hash(&v)));
        assert!(!split::matches(&split::new_verifier(), &token_hash(&v)));
        assert!(!split::matches(&v, &token_hash(&t)));
        // Not of the form: wrong length, not hex, an id beyond any row.
        assert_eq!(split::parse(&t[1..]), None);
        assert_eq!(split::parse(&t.replace(&t[20..21], "g")), None);
        assert_eq!(split::parse(&format!("ffffffffffffffff{v}")), None);
        // A token of the older, wholly random form rarely parses, and never verifies.
        let old = new_token();
        if let Some((_, rest)) = split::parse(&old) {
            assert!(!split::matches(rest, &token_hash(&old)));
        }
    }

    #[test]
    fn password_round_trip_and_rejection() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse battery!", &h));
        assert!(!verify_password("x", "not a hash"));
        assert!(hash_password("short").is_err());
    }

    #[test]
    fn tokens_are_random_and_hash_stably() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
        assert_ne!(token_hash(&a), a);
    }
}
