//! Sealing secret header values for storage with AES-256-GCM. Each value gets a
//! fresh random nonce and is bound (as associated data) to its tenant, call and
//! header name, so a sealed value copied elsewhere does not open.

use std::fmt;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;

use crate::config::Secret;

/// Version prefix of sealed values, so the format can change later.
const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;

/// Why a key or a sealed value is unusable. Messages never contain either.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// The configured key is not base64.
    #[error("the key is not valid base64")]
    KeyNotBase64,
    /// The configured key does not decode to 32 bytes.
    #[error("the key must be 32 bytes, base64-encoded (it decodes to {0} bytes)")]
    KeyLength(usize),
    /// Encryption failed (a value beyond AES-GCM's size limits).
    #[error("the value could not be sealed")]
    Seal,
    /// The sealed value is malformed, was sealed with another key, or belongs
    /// to another call or header.
    #[error("a sealed value could not be opened with the configured key")]
    Open,
}

/// Seals and opens secret header values with the configured key.
#[derive(Clone)]
pub struct HeaderSealer {
    cipher: Aes256Gcm,
}

/// Debug shows nothing of the key.
impl fmt::Debug for HeaderSealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HeaderSealer([redacted])")
    }
}

impl HeaderSealer {
    /// The sealer for a configured key; `None` when no key is configured.
    pub fn from_key(key: &Secret) -> Result<Option<Self>, SealError> {
        let text = key.expose().trim();
        if text.is_empty() {
            return Ok(None);
        }
        let bytes = STANDARD.decode(text).map_err(|_| SealError::KeyNotBase64)?;
        let cipher =
            Aes256Gcm::new_from_slice(&bytes).map_err(|_| SealError::KeyLength(bytes.len()))?;
        Ok(Some(Self { cipher }))
    }

    /// Seals `value`, bound to `context` (which must be given again to open it).
    pub fn seal(&self, context: &str, value: &str) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = self
            .cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: value.as_bytes(),
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Seal)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    /// Opens a value sealed with the same key and `context`.
    pub fn open(&self, context: &str, sealed: &str) -> Result<String, SealError> {
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or(SealError::Open)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| SealError::Open)?;
        let plain = self
            .cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| SealError::Open)?;
        String::from_utf8(plain).map_err(|_| SealError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(byte: u8) -> Secret {
        Secret::new(STANDARD.encode([byte; 32]))
    }

    fn sealer(byte: u8) -> HeaderSealer {
        HeaderSealer::from_key(&key(byte)).unwrap().unwrap()
    }

    #[test]
    fn a_sealed_value_opens_with_the_same_key_and_context_only() {
        let s = sealer(7);
        let sealed = s.seal("t:1:authorization", "Bearer s3cret").unwrap();
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("s3cret"));
        assert_eq!(
            s.open("t:1:authorization", &sealed).unwrap(),
            "Bearer s3cret"
        );
        assert_eq!(s.open("t:2:authorization", &sealed), Err(SealError::Open));
        assert_eq!(
            sealer(8).open("t:1:authorization", &sealed),
            Err(SealError::Open)
        );
        assert_eq!(s.open("t:1:authorization", "v1:AAAA"), Err(SealError::Open));
    }

    #[test]
    fn each_seal_uses_a_fresh_nonce() {
        let s = sealer(1);
        assert_ne!(s.seal("c", "same").unwrap(), s.seal("c", "same").unwrap());
    }

    #[test]
    fn no_key_means_no_sealer_and_bad_keys_are_refused() {
        assert!(
            HeaderSealer::from_key(&Secret::default())
                .unwrap()
                .is_none()
        );
        assert_eq!(
            HeaderSealer::from_key(&Secret::new("not base64!")).unwrap_err(),
            SealError::KeyNotBase64
        );
        assert_eq!(
            HeaderSealer::from_key(&Secret::new(STANDARD.encode([0u8; 16]))).unwrap_err(),
            SealError::KeyLength(16)
        );
        assert_eq!(format!("{:?}", sealer(3)), "HeaderSealer([redacted])");
    }
}
