//! How often and how soon an ambiguous failure is retried: attempts, exponential backoff with
//! a cap, and a jitter drawn from the mutation's idempotency key so that clients that failed
//! together do not retry together, while one mutation's schedule stays reproducible.

use std::time::Duration;

/// When a mutation whose outcome was ambiguous (a timeout, a dropped connection) is sent
/// again, and how many times at most.
///
/// The delay before attempt `n + 1` after `n` ambiguous attempts is
/// `min(max_delay, initial_delay x factor^(n - 1))`, then scaled by a jitter in `[1/2, 1]`
/// taken from the idempotency key and the attempt number (the same mutation always waits the
/// same; two mutations rarely do). After `max_attempts` ambiguous attempts the mutation fails
/// ([`FailureKind::GaveUp`](crate::FailureKind::GaveUp)) and its guess is reverted; `None`
/// retries without limit. Attempts the app reports as [`Outcome::NotSent`](crate::Outcome::NotSent)
/// (the request never left: offline) wait the same way but are not counted. A delay longer
/// than the clock can express from now (up to [`Duration::MAX`]) waits as long as it can,
/// beyond a century: never sooner.
///
/// ```
/// use optimist::RetryPolicy;
/// use std::time::Duration;
///
/// let policy = RetryPolicy::default();
/// assert_eq!(policy.max_attempts, Some(5));
/// let first = policy.delay("key", 1);
/// assert!(first >= Duration::from_millis(500) && first <= Duration::from_secs(1));
/// assert!(policy.delay("key", 20) <= policy.max_delay);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, serde::Serialize, serde::Deserialize)]
pub struct RetryPolicy {
    /// How many ambiguous attempts before giving up; `None`: no limit.
    pub max_attempts: Option<u32>,
    /// The delay after the first ambiguous attempt, before jitter.
    pub initial_delay: Duration,
    /// How much each further delay grows.
    pub factor: u32,
    /// The longest delay, before jitter.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// Five attempts, waiting about 1 s, 2 s, 4 s and 8 s between them (at most 30 s).
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: Some(5),
            initial_delay: Duration::from_secs(1),
            factor: 2,
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// Retries without limit (for an offline outbox whose edits must never be dropped), with
    /// the default delays.
    ///
    /// ```
    /// assert_eq!(optimist::RetryPolicy::forever().max_attempts, None);
    /// ```
    pub fn forever() -> RetryPolicy {
        RetryPolicy {
            max_attempts: None,
            ..RetryPolicy::default()
        }
    }

    /// Whether a mutation that has made `attempts` ambiguous attempts may be sent again.
    ///
    /// ```
    /// let policy = optimist::RetryPolicy { max_attempts: Some(2), ..Default::default() };
    /// assert!(policy.allows(1));
    /// assert!(!policy.allows(2));
    /// ```
    pub fn allows(&self, attempts: u32) -> bool {
        self.max_attempts.is_none_or(|max| attempts < max)
    }

    /// The delay before the next attempt, after `attempts` (at least 1) attempts, for the
    /// mutation with this idempotency key. O(length of the key).
    ///
    /// ```
    /// let policy = optimist::RetryPolicy::default();
    /// assert_eq!(policy.delay("a", 3), policy.delay("a", 3), "reproducible");
    /// assert!(policy.delay("a", 3) > policy.delay("a", 1), "grows");
    /// ```
    pub fn delay(&self, idempotency_key: &str, attempts: u32) -> Duration {
        let growth = self
            .factor
            .max(1)
            .checked_pow(attempts.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let delay = self
            .initial_delay
            .checked_mul(growth)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        // FNV-1a over the key and the attempt: a fixed spread in [1/2, 1] of the delay.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in idempotency_key.bytes().chain(attempts.to_le_bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        let spread = 0.5 + (hash >> 11) as f64 / (1u64 << 53) as f64 / 2.0;
        scaled(delay, spread)
    }
}

/// `delay.mul_f64(spread)` for a `spread` in `[1/2, 1]` (it can round to 1.0), without its
/// panic when the product's seconds round up past `u64::MAX` as a float (a spread of 1.0 on
/// [`Duration::MAX`]): never more than `delay`.
fn scaled(delay: Duration, spread: f64) -> Duration {
    Duration::try_from_secs_f64(delay.as_secs_f64() * spread).map_or(delay, |d| d.min(delay))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_to_the_cap_and_stay_jittered_within_half() {
        let policy = RetryPolicy::default();
        for attempts in 1..40 {
            let nominal = Duration::from_secs(1 << (attempts - 1).min(5)).min(policy.max_delay);
            let delay = policy.delay("k", attempts);
            assert!(delay <= nominal, "{attempts}: {delay:?} > {nominal:?}");
            assert!(
                delay >= nominal / 2,
                "{attempts}: {delay:?} < half of {nominal:?}"
            );
        }
        let keys: std::collections::HashSet<Duration> =
            (0..50).map(|i| policy.delay(&i.to_string(), 1)).collect();
        assert!(keys.len() > 40, "jitter spreads mutations apart");
    }

    #[test]
    fn the_longest_delay_scales_without_a_panic() {
        assert_eq!(scaled(Duration::MAX, 1.0), Duration::MAX);
        assert!(scaled(Duration::MAX, 0.5) <= Duration::MAX / 2 + Duration::from_secs(1));
        assert_eq!(scaled(Duration::from_secs(2), 0.5), Duration::from_secs(1));
    }

    #[test]
    fn limits_count_attempts() {
        let policy = RetryPolicy {
            max_attempts: Some(3),
            ..RetryPolicy::default()
        };
        assert_eq!(
            (0..5).map(|n| policy.allows(n)).collect::<Vec<_>>(),
            [true, true, true, false, false]
        );
        assert!(RetryPolicy::forever().allows(u32::MAX));
    }
}
