//! The signals the hooks hand out: written by store callbacks (on any thread, inside a store
//! call), read by components. Thread-safe signals (`SyncStorage`), written only when the
//! value changed, so a component re-renders exactly when what it reads changed.

use dioxus_signals::{ReadSignal, ReadableExt, SyncSignal, SyncStorage, WritableExt};

/// A read-only view of a thread-safe signal: what every hook of this crate returns (Dioxus'
/// `ReadSignal` over `SyncStorage`, since store callbacks may run on the app's I/O thread).
/// Read it as any signal: `signal()`, `signal.read()`, `"{signal}"` in `rsx!`; reading it in a
/// component subscribes the component.
pub type SyncReadSignal<T> = ReadSignal<T, SyncStorage>;

/// A new thread-safe signal owned by the current component, and its read-only view.
pub(crate) fn pair<T: Send + Sync + 'static>(value: T) -> (SyncSignal<T>, SyncReadSignal<T>) {
    let signal = SyncSignal::new_maybe_sync(value);
    (signal, ReadSignal::new_maybe_sync(signal))
}

/// Writes `value` when it differs from what `signal` holds (its readers re-render); does
/// nothing when equal, or when the signal is gone (its component left while the callback ran).
pub(crate) fn set_if_changed<T: PartialEq + Send + Sync + 'static>(
    signal: SyncSignal<T>,
    value: T,
) {
    let changed = signal.try_peek().is_ok_and(|current| *current != value);
    if changed {
        set(signal, value);
    }
}

/// Writes `value` (its readers re-render); does nothing when the signal is gone.
pub(crate) fn set<T: Send + Sync + 'static>(mut signal: SyncSignal<T>, value: T) {
    if let Ok(mut slot) = signal.try_write() {
        *slot = value;
    }
}
