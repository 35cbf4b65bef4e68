//! The app: each event changes the model through the optimist client, then the core asks the
//! client and its store what to send (fetches, mutations) and when anything is next due, and
//! turns that into commands; a render only when something shown changed.

use crux_core::{Command, render::render};
use crux_time::TimerOutcome;
use optimist::{Changes, Instant, Key, LayerEvent, Store, Value};

use crate::answers::{self, Settled};
use crate::commands;
use crate::effect::Effect;
use crate::event::Event;
use crate::model::{Model, Timer};
use crate::mutations;
use crate::requests;
use crate::rows::{LIST, list_options, list_query};
use crate::view::{self, ViewModel};

type Cmd = Command<Effect, Event>;

/// The todo app's Crux core.
///
/// ```
/// use crux_core::App as _;
/// use todo_crux::{App, Event, Model};
/// let app = App;
/// let mut model = Model::default();
/// let mut command = app.update(Event::Start { api: "http://127.0.0.1:3000".into() }, &mut model);
/// let effects: Vec<_> = command.effects().collect();
/// assert!(effects.iter().any(|effect| effect.is_http()), "the list is fetched");
/// assert!(app.view(&model).loading);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct App;

impl crux_core::App for App {
    type Event = Event;
    type Model = Model;
    type ViewModel = ViewModel;
    type Effect = Effect;

    fn update(&self, event: Event, model: &mut Model) -> Cmd {
        let before = view::header(model);
        let mut seen = Seen::default();
        let now = match &event {
            Event::TimerFired {
                outcome: TimerOutcome::Cleared,
                ..
            } => {
                // A timer the core replaced: nothing to do, nothing changed.
                return Command::done();
            }
            Event::TimerFired { deadline, .. } => {
                if model
                    .timer
                    .as_ref()
                    .is_some_and(|timer| timer.deadline == *deadline)
                {
                    model.timer = None;
                }
                model.clock.at_least(*deadline)
            }
            _ => model.clock.now(),
        };
        apply(event, model, now, &mut seen);
        let mut commands = pump(model, now, &mut seen);
        if seen.changed || view::header(model) != before {
            commands.push(render());
        }
        Command::all(commands)
    }

    fn view(&self, model: &Model) -> ViewModel {
        view::view(model)
    }
}

/// Whether an update changed something the view shows. The store's [`Changes`] say it for the
/// data (a key of the merged view changed) and for the mutations' statuses (their layers'
/// events); the core adds what it does itself (a mutation handed out to send, a failure
/// dismissed); `view::header` compares the rest (the list loading or failing, online).
#[derive(Default)]
struct Seen {
    changed: bool,
}

impl Seen {
    /// A store call's changes.
    fn changes(&mut self, store: &Store, changes: &Changes) {
        self.changed |= !changes.is_empty()
            || changes
                .layers()
                .iter()
                .any(|(id, event)| shows(*event) && store.mutation(*id).is_some());
    }

    /// A mutation's status changed where no `Changes` says so.
    fn status(&mut self) {
        self.changed = true;
    }
}

/// Whether a mutation's layer event changes its status as the view shows it. `Sent` is left
/// out: the store lists it with the next call's changes, not the `next_to_send` that made it,
/// so the core counts the send itself; `Squashed` follows a `Confirmed` already counted.
fn shows(event: LayerEvent) -> bool {
    matches!(
        event,
        LayerEvent::Pushed
            | LayerEvent::Retrying
            | LayerEvent::Confirmed
            | LayerEvent::Failed
            | LayerEvent::Cancelled
            | LayerEvent::Remapped
            | LayerEvent::Coalesced
            | LayerEvent::Unloaded
            | LayerEvent::Loaded
    )
}

/// What the event does to the model.
fn apply(event: Event, model: &mut Model, now: Instant, seen: &mut Seen) {
    match event {
        Event::Start { api } => start(model, &api, now),
        Event::Add { title } => {
            let title = title.trim();
            if !title.is_empty() {
                let mut store = model.client.store_mut();
                let made = mutations::create(&mut store, title)
                    .map_err(|error| error.to_string())
                    .and_then(|(_, mutation)| {
                        store.mutate(mutation).map_err(|error| error.to_string())
                    });
                match made {
                    Ok((_, changes)) => seen.changes(&store, &changes),
                    Err(error) => {
                        drop(store);
                        model.problem = Some(error);
                    }
                }
            }
        }
        Event::Toggle { key } => {
            if let Some((key, done)) = shown(model.client.store(), &key, "done") {
                let done = done.as_bool().unwrap_or_default();
                mutate(model, mutations::set_done(&key, !done), seen);
            }
        }
        Event::Rename { key, title } => {
            let title = title.trim();
            if let Some((key, old)) = shown(model.client.store(), &key, "title")
                && !title.is_empty()
                && old.as_str() != Some(title)
            {
                mutate(model, mutations::rename(&key, title), seen);
            }
        }
        Event::Delete { key } => {
            if let Some((key, _)) = shown(model.client.store(), &key, "title") {
                mutate(model, mutations::delete(&key), seen);
            }
        }
        Event::Dismiss { failure } => {
            let id = model
                .client
                .store()
                .failed_mutations()
                .map(|m| m.id())
                .find(|id| id.to_string() == failure);
            if let Some(id) = id
                && model.client.store_mut().dismiss(id)
            {
                seen.status();
            }
        }
        Event::Refetch => {
            if let Some((_, query)) = model.list {
                let _ = model.client.refetch(query, now);
            }
        }
        Event::Online => {
            model.online = true;
            model.client.online(now);
        }
        Event::Offline => {
            model.online = false;
            model.client.offline(now);
        }
        Event::Fetched { fetch, answer } => {
            let result = match answers::fetched(&answer, model.online) {
                Ok(body) => model.client.resolve(fetch, body, now),
                Err(error) => model.client.reject(fetch, error, now),
            };
            // Refused: the fetch was superseded by a newer one; its answer changes nothing.
            if let Ok(changes) = result {
                seen.changes(model.client.store(), &changes);
            }
        }
        Event::Sent {
            mutation,
            write,
            answer,
        } => {
            let online = model.online;
            let mut store = model.client.store_mut();
            let Settled {
                outcome,
                remap,
                list_changed,
            } = answers::settle(store.policies(), &write, &answer, online);
            // Refs to the temporary key, in base and in every layer, become the server's.
            if let Some((tmp, real)) = remap
                && store.is_temporary(tmp.as_str())
                && let Ok(changes) = store.remap(&tmp, &real)
            {
                seen.changes(&store, &changes);
            }
            if list_changed {
                // The list's rows changed on the server: its field is marked stale, and the
                // client refetches the list it observes (below any mutation still pending).
                let _ = store.invalidate_field(Key::root_query(), LIST);
            }
            // Refused: a mutation settled already (a late duplicate answer).
            if let Ok(changes) = store.report(mutation, outcome, now) {
                seen.changes(&store, &changes);
            }
        }
        Event::TimerFired { .. } => model.client.tick(now),
    }
}

/// `Start`: the API's base URL checked, the list observed (due for its first fetch).
fn start(model: &mut Model, api: &str, now: Instant) {
    let api = api.trim_end_matches('/');
    match crux_http::Url::parse(api) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => {
            model.api = Some(api.to_owned());
            model.problem = None;
        }
        _ => {
            model.problem = Some(format!("not an http(s) URL: {api:?}"));
            return;
        }
    }
    if model.list.is_none() {
        let observed = model
            .client
            .observe(list_query(), list_options(), now, |_| {});
        model.list = Some((observed.observer, observed.query));
    }
}

/// The key `key` and its `field`, if the row is in the merged view.
fn shown(store: &Store, key: &str, field: &str) -> Option<(Key, Value)> {
    let key = Key::new(key).ok()?;
    let value = store.get_field(key.as_str(), field)?.clone();
    Some((key, value))
}

/// Makes a mutation: its guess shows at once.
fn mutate(model: &mut Model, mutation: optimist::Mutation, seen: &mut Seen) {
    let mut store = model.client.store_mut();
    match store.mutate(mutation) {
        Ok((_, changes)) => seen.changes(&store, &changes),
        Err(error) => {
            drop(store);
            model.problem = Some(error.to_string());
        }
    }
}

/// Asks the client what to fetch and the store what to send now, as HTTP commands, then sets
/// the one timer for the earliest time anything is due next. Offline, nothing is sent and no
/// retry is timed: the outbox waits for `Online`.
fn pump(model: &mut Model, now: Instant, seen: &mut Seen) -> Vec<Cmd> {
    let mut commands = Vec::new();
    let Some(api) = model.api.clone() else {
        return commands;
    };
    if model.online {
        while let Some(fetch) = model.client.next_fetch(now) {
            match requests::fetch_path(&fetch) {
                Ok(path) => commands.push(commands::fetch(&api, &path, fetch.id)),
                Err(error) => {
                    if let Ok(changes) = model.client.reject(fetch.id, error, now) {
                        seen.changes(model.client.store(), &changes);
                    }
                }
            }
        }
        let mut store = model.client.store_mut();
        while let Some(out) = store.next_to_send(now) {
            // Queued or retrying, now in flight.
            seen.status();
            let command = requests::build(&store, &out).and_then(|write| {
                commands::send(&api, &out, write)
                    .map_err(|why| optimist::Outcome::Rejected(why.into()))
            });
            match command {
                Ok(command) => commands.push(command),
                Err(outcome) => {
                    if let Ok(changes) = store.report(out.id, outcome, now) {
                        seen.changes(&store, &changes);
                    }
                }
            }
        }
    }
    let retry = model
        .online
        .then(|| model.client.store().next_retry_at())
        .flatten();
    let due = match (model.client.next_due(), retry) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    match (due, model.timer.take()) {
        // The timer asked for comes first (or nothing is due): keep it; when it fires, the
        // core looks again.
        (Some(due), Some(timer)) if timer.deadline <= due => model.timer = Some(timer),
        (None, Some(timer)) => timer.handle.clear(),
        (Some(due), earlier) => {
            if let Some(later) = earlier {
                later.handle.clear();
            }
            let (command, handle) = commands::timer(due, now);
            commands.push(command);
            model.timer = Some(Timer {
                deadline: due,
                handle,
            });
        }
        (None, None) => {}
    }
    commands
}
