//! Idempotency keys: random version-4 UUIDs, so two clients (or two runs of one) never send
//! the same key for different mutations, which a server that dedupes by key would merge.
//!
//! Every intent gets one, `push` included, so minting must be cheap: the OS generator is asked
//! once per process for 128 random bits, and each key mixes them with a counter (SplitMix64),
//! one multiply-xorshift per half, no system call.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh random key, `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
pub(crate) fn new_key() -> Arc<str> {
    static SEED: OnceLock<(u64, u64)> = OnceLock::new();
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let (a, b) = *SEED.get_or_init(|| uuid::Uuid::new_v4().as_u64_pair());
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let high = mix(a ^ n);
    let low = mix(b.wrapping_add(n.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
    let bytes = (u128::from(high) << 64 | u128::from(low)).to_be_bytes();
    let key = uuid::Builder::from_random_bytes(bytes).into_uuid();
    Arc::from(key.hyphenated().to_string())
}

/// SplitMix64's finaliser: a bijection that spreads every input bit over the output.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    #[test]
    fn keys_are_uuids_and_differ() {
        let keys: std::collections::HashSet<_> = (0..10_000).map(|_| super::new_key()).collect();
        assert_eq!(keys.len(), 10_000);
        let a = keys.iter().next().unwrap();
        assert_eq!(a.len(), 36);
        assert_eq!(a.as_bytes()[14], b'4');
        assert!(matches!(a.as_bytes()[19], b'8' | b'9' | b'a' | b'b'));
    }
}
