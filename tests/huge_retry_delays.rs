//! A retry delay too long for the clock to express waits as long as it can, never not at all
//! (issue 27, item 5): an ambiguous outcome under such a policy is not resent at once.

use std::time::Duration;

use optimist::{Instant, Mutation, Outcome, Patch, RetryPolicy, Store};

/// A store with one mutation sent at `now` under `policy` and answered ambiguously.
fn retrying(policy: RetryPolicy, now: Instant) -> Store {
    let mut store = Store::new();
    let (id, _) = store
        .mutate(Mutation::new("save", Patch::new().set("A:1", "x", 1)).retry(policy))
        .unwrap();
    assert_eq!(store.next_to_send(now).map(|m| m.id), Some(id));
    store
        .report(id, Outcome::Ambiguous("timeout".into()), now)
        .unwrap();
    store
}

/// The delays, from ones any clock holds to ones none does.
fn delays() -> Vec<Duration> {
    let mut delays = vec![Duration::from_secs(3600)];
    delays.extend((1..=4).map(|k| Duration::from_secs(u64::MAX >> k)));
    delays.push(Duration::from_secs(u64::MAX));
    delays.push(Duration::MAX);
    delays
}

#[test]
fn a_delay_past_what_the_clock_holds_is_a_retry_in_the_far_future() {
    let now = Instant::now();
    for delay in delays() {
        let policy = RetryPolicy {
            max_attempts: None,
            initial_delay: delay,
            factor: 2,
            max_delay: delay,
        };
        let mut store = retrying(policy, now);
        let at = store
            .next_retry_at()
            .unwrap_or_else(|| panic!("{delay:?}: no time to retry at"));
        // Never sooner than half the delay (the jitter's least) or than a century, whichever
        // is sooner.
        let least = (delay / 2).min(Duration::from_secs(100 * 365 * 86_400));
        assert!(
            at.duration_since(now) >= least,
            "{delay:?}: retries at {at:?}"
        );
        assert_eq!(store.next_to_send(now), None, "{delay:?}: resent at once");
        let sooner = now + least - Duration::from_secs(1);
        assert_eq!(
            store.next_to_send(sooner),
            None,
            "{delay:?}: resent too soon"
        );
    }
}

#[test]
fn a_delay_capped_by_max_delay_waits_the_cap() {
    let now = Instant::now();
    let policy = RetryPolicy {
        initial_delay: Duration::MAX,
        ..RetryPolicy::default()
    };
    let mut store = retrying(policy, now);
    let wait = store.next_retry_at().unwrap().duration_since(now);
    assert!(
        wait >= policy.max_delay / 2 && wait <= policy.max_delay,
        "{wait:?}"
    );
    assert_eq!(store.next_to_send(now), None);
    assert!(store.next_to_send(now + policy.max_delay).is_some());
}
