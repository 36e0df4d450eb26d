//! Secrets at rest (XChaCha20-Poly1305 from RustCrypto), random tokens, token hashes, passwords (argon2id).

use std::fmt;
use std::io::Write;
use std::path::Path;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::error::AppError;

/// What can go wrong with a key, a secret or a password hash; an `AppError` where it meets a request.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// The key or a stored secret does not fit this deployment (the message says how).
    #[error("{0}")]
    Config(String),
    #[error("{0}")]
    Internal(String),
}

impl From<CryptoError> for AppError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::Config(m) => AppError::Config(m),
            CryptoError::Internal(m) => AppError::Internal(m),
        }
    }
}

/// Why a stored secret cannot be read.
pub const UNREADABLE: &str =
    "PANELOPS_SECRET_KEY cannot read a stored secret: it is not the key the secret was saved with";

/// The 32-byte key that encrypts stored secrets. Its Debug output never shows the key.
#[derive(Clone)]
pub struct SecretKey([u8; 32]);

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(••••)")
    }
}

impl SecretKey {
    pub fn generate() -> Self {
        let mut k = [0u8; 32];
        OsRng.fill_bytes(&mut k);
        SecretKey(k)
    }

    /// Accepts 32 bytes as base64 (standard or url-safe) or as 64 hex digits.
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let t = text.trim();
        let bytes = if t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()) {
            (0..32).map(|i| u8::from_str_radix(&t[i * 2..i * 2 + 2], 16)).collect::<Result<Vec<u8>, _>>().ok()
        } else {
            STANDARD.decode(t).or_else(|_| URL_SAFE_NO_PAD.decode(t)).ok()
        };
        let bytes = bytes.filter(|b| b.len() == 32).ok_or_else(|| {
            CryptoError::Config("PANELOPS_SECRET_KEY must be 32 bytes as base64 or 64 hex digits".into())
        })?;
        let mut k = [0u8; 32];
        k.copy_from_slice(&bytes);
        Ok(SecretKey(k))
    }

    pub fn to_base64(&self) -> String {
        STANDARD.encode(self.0)
    }

    /// Reads the key file, or creates it (mode 0600) with a fresh key on first local run.
    pub fn load_or_create(path: &Path) -> Result<Self, CryptoError> {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = path.parent() {
                    // The database's folder too: private from the start (see `fs_mode`).
                    crate::fs_mode::create_private_dir(dir)
                        .map_err(|e| CryptoError::Config(format!("cannot create {}: {e}", dir.display())))?;
                }
                let key = Self::generate();
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    opts.mode(0o600);
                }
                let mut f = opts
                    .open(path)
                    .map_err(|e| CryptoError::Config(format!("cannot write {}: {e}", path.display())))?;
                f.write_all(key.to_base64().as_bytes())
                    .map_err(|e| CryptoError::Config(format!("cannot write {}: {e}", path.display())))?;
                tracing::info!(path = %path.display(), "generated a new secret key");
                Ok(key)
            }
            Err(e) => Err(CryptoError::Config(format!("cannot read {}: {e}", path.display()))),
        }
    }

    /// Encrypts `plain` into `v1.<base64(nonce || ciphertext)>`.
    pub fn encrypt(&self, plain: &str) -> Result<String, CryptoError> {
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ct = cipher
            .encrypt(&nonce, plain.as_bytes())
            .map_err(|_| CryptoError::Internal("encryption failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&ct);
        Ok(format!("v1.{}", STANDARD.encode(out)))
    }

    /// A value this key did not encrypt (another `PANELOPS_SECRET_KEY`, or damaged) is a configuration
    /// error: [`CryptoError::Config`] with [`UNREADABLE`], which callers tell from other failures.
    pub fn decrypt(&self, stored: &str) -> Result<String, CryptoError> {
        let bad = || CryptoError::Config(UNREADABLE.into());
        let raw = stored.strip_prefix("v1.").ok_or_else(bad)?;
        let bytes = STANDARD.decode(raw).map_err(|_| bad())?;
        if bytes.len() < 24 {
            return Err(bad());
        }
        let (nonce, ct) = bytes.split_at(24);
        let cipher = XChaCha20Poly1305::new((&self.0).into());
        let plain = cipher.decrypt(XNonce::from_slice(nonce), ct).map_err(|_| bad())?;
        String::from_utf8(plain).map_err(|_| bad())
    }
}

/// A secret string (API key, password) whose Debug/Display never print it.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// The last four characters, which the console may show.
    pub fn last4(&self) -> String {
        last4(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(••••)")
    }
}

pub fn last4(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

/// A random, url-safe token with 256 bits of entropy.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    URL_SAFE_NO_PAD.encode(b)
}

pub fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// SHA-256 of a high-entropy token: enough for lookups, since tokens cannot be guessed.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes()).iter().map(|x| format!("{x:02x}")).collect()
}

pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CryptoError::Internal(format!("password hashing failed: {e}")))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// Verifies against a throwaway hash so an unknown username costs the same time as a wrong password.
pub fn burn_password_check(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let hash = DUMMY.get_or_init(|| hash_password("panelops-dummy-password").unwrap_or_default());
    let _ = verify_password(password, hash);
}

/// Constant-time comparison for tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_and_do_not_leak() {
        let key = SecretKey::generate();
        let stored = key.encrypt("sk_live_12345678").unwrap();
        assert!(!stored.contains("12345678"));
        assert_eq!(key.decrypt(&stored).unwrap(), "sk_live_12345678");
        assert!(SecretKey::generate().decrypt(&stored).is_err());
        assert_eq!(format!("{:?}", Secret::new("abcdef")), "Secret(••••)");
        assert_eq!(Secret::new("abcdef").last4(), "cdef");
    }

    #[test]
    fn key_parses_hex_and_base64() {
        let k = SecretKey::generate();
        assert!(SecretKey::parse(&k.to_base64()).is_ok());
        assert!(SecretKey::parse(&"ab".repeat(32)).is_ok());
        assert!(SecretKey::parse("short").is_err());
    }

    #[test]
    fn key_file_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/secret.key");
        let a = SecretKey::load_or_create(&p).unwrap();
        let b = SecretKey::load_or_create(&p).unwrap();
        assert_eq!(a.to_base64(), b.to_base64());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&p).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn passwords_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }
}
