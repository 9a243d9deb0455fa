//! Session tokens as SCS makes and stores them.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Makes a new token the way SCS does: 32 random bytes from the OS, base64url without padding
/// (43 characters).
pub fn generate() -> Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::io(
            "cannot read random bytes",
            std::io::Error::other(e.to_string()),
        )
    })?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The stored form of a token under SCS's `HashTokenInStore`: base64url without padding of the
/// SHA-256 of the token's bytes.
pub fn hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// How tokens typed by the user map to the `token` column.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TokenStorage {
    /// Tokens are stored as given (SCS's default).
    #[default]
    Plain,
    /// Tokens are stored hashed (SCS's `HashTokenInStore`).
    Hashed,
}

impl TokenStorage {
    /// The other way of storing tokens: what a table holds when `--hashed-tokens` was given
    /// where it should not have been, or left out where it should have been.
    pub fn other(self) -> TokenStorage {
        match self {
            TokenStorage::Plain => TokenStorage::Hashed,
            TokenStorage::Hashed => TokenStorage::Plain,
        }
    }

    /// The hint for a token that has no row stored this way but has one stored the other way.
    pub fn mismatch_hint(self) -> &'static str {
        match self {
            TokenStorage::Plain => {
                "a session is stored under this token's SHA-256 hash: the app uses HashTokenInStore — add --hashed-tokens (or SCSCTL_HASHED_TOKENS=1)"
            }
            TokenStorage::Hashed => {
                "a session is stored under this token as given, not under its hash: the app does not use HashTokenInStore — leave out --hashed-tokens"
            }
        }
    }

    /// The value of the `token` column for a token the user gave.
    pub fn stored(self, token: &str) -> String {
        match self {
            TokenStorage::Plain => token.to_owned(),
            TokenStorage::Hashed => hash(token),
        }
    }
}

/// Characters of a token shown in a message before it is cut short.
const SHOWN_CHARS: usize = 64;

/// A token quoted for an error message: Rust-escaped (so control characters cannot reach the
/// terminal) and, when longer than a token SCS would make, cut short with its length, so a
/// megabyte of input does not become a megabyte of stderr.
pub fn for_message(token: &str) -> String {
    if token.chars().count() <= SHOWN_CHARS {
        return format!("{token:?}");
    }
    let head: String = token.chars().take(SHOWN_CHARS).collect();
    let quoted = format!("{head:?}");
    format!("{}…\" ({} bytes)", &quoted[..quoted.len() - 1], token.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_tokens_are_cut_short_in_messages() {
        assert_eq!(for_message("a\nb"), "\"a\\nb\"");
        let long = "x".repeat(1_000_000);
        let shown = for_message(&long);
        assert!(shown.len() < 100, "{shown}");
        assert!(shown.ends_with("…\" (1000000 bytes)"), "{shown}");
    }

    #[test]
    fn generated_tokens_look_like_scs_tokens() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }

    #[test]
    fn hash_matches_scs_hash_token_in_store() {
        // SCS: base64.RawURLEncoding.EncodeToString(sha256.Sum256([]byte(token))).
        // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.
        assert_eq!(hash("abc"), "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0");
        assert_eq!(TokenStorage::Plain.stored("abc"), "abc");
    }
}
