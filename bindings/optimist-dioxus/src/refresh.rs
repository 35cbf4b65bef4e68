//! Re-reading the store after layer events: what a hook does when a callback is told that
//! something changed but cannot read what it became.
//!
//! A layer watcher is told `(LayerId, LayerEvent)` pairs inside the store call, under the
//! app's lock, without the store: a mutation's new status (with its failure's message) or
//! whether any mutation is still pending can only be read once the call is over. So the
//! watcher rings a [`Bell`] when an event concerns the hook, and a task of the component
//! reads the store then, on the UI's thread, and writes the hook's signals.

use dioxus_core::{spawn, use_drop, use_hook};
use optimist::{LayerEvent, LayerId, Store, WatchId};

use crate::bell::Bell;
use crate::context::{SharedClient, lock};

/// Events as a layer watcher is told them.
pub(crate) type Events<'a> = &'a [(LayerId, LayerEvent)];

/// While the component is mounted, calls `read` with the store after every store call that
/// told a layer event `relevant` accepts (several such calls between two polls of the task:
/// one read). `relevant` runs inside the store call (it must not lock the client); `read`
/// runs in a task of the component, with the client locked (it must not lock it again).
pub(crate) fn use_refresh(
    client: &SharedClient,
    relevant: impl Fn(Events<'_>) -> bool + Send + Sync + 'static,
    read: impl Fn(&Store) + 'static,
) {
    let watch: (WatchId, Bell) = use_hook(|| {
        let bell = Bell::default();
        let ringer = bell.clone();
        let watch = lock(client).store_mut().watch_layers(move |events| {
            if relevant(events) {
                ringer.ring();
            }
        });
        let (client, heard) = (client.clone(), bell.clone());
        spawn(async move {
            while heard.rung().await {
                read(lock(&client).store());
            }
        });
        (watch, bell)
    });
    let client = client.clone();
    use_drop(move || {
        let (watch, bell) = watch;
        bell.close();
        lock(&client).store_mut().unwatch(watch);
    });
}

/// Whether `events` name the layer `id`.
pub(crate) fn names(events: Events<'_>, id: Option<LayerId>) -> bool {
    id.is_some_and(|id| events.iter().any(|(layer, _)| *layer == id))
}

/// Whether `events` may change whether a mutation is pending (an intent made or settled).
pub(crate) fn settles(events: Events<'_>) -> bool {
    events.iter().any(|(_, event)| {
        matches!(
            event,
            LayerEvent::Pushed
                | LayerEvent::Confirmed
                | LayerEvent::Failed
                | LayerEvent::Cancelled
                | LayerEvent::Coalesced
        )
    })
}
