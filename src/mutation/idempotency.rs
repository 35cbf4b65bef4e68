//! Idempotency keys: random version-4 UUIDs, so two clients (or two runs of one) never send
//! the same key for different mutations, which a server that dedupes by key would merge.

use std::sync::Arc;

/// A fresh random key, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
pub(crate) fn new_key() -> Arc<str> {
    Arc::from(uuid::Uuid::new_v4().hyphenated().to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_uuids_and_differ() {
        let a = super::new_key();
        let b = super::new_key();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
    }
}
