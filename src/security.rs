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

    /// The token for the row `id` that holds the hash of `verifier`.
    pub fn token(id: i32, verifier: &str) -> String {
        format!("{:016x}{verifier}", id as u32)
    }

    /// The row id and verifier a token names, if it has the form of one.
    pub fn parse(token: &str) -> Option<(i32, &str)> {
        let token = token.trim();
        if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let id = u64::from_str_radix(&token[..16], 16).ok()?;
        Some((i32::try_from(id).ok()?, &token[16..]))
    }

    /// Whether `verifier` is the one whose hash was stored, compared in constant time.
    pub fn matches(verifier: &str, stored_hash: &str) -> bool {
        super::token_hash(verifier)
            .as_bytes()
            .ct_eq(stored_hash.as_bytes())
            .into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
