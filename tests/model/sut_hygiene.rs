//! The system under test's side of the cache-hygiene transitions (invalidations, tags,
//! retains, gc, evictions), and the check after every step against the reference: the stale
//! marks, `is_stale` and `is_field_stale` of every key, the retained keys, `stale()` (the
//! stale query watchers, most recently watched first), `is_watch_stale` and
//! `Query::is_stale` of every live watcher.

use std::collections::{BTreeMap, BTreeSet};

use optimist::{Changes, Document, Query, ReadError, ReleaseError};
use serde_json::json;

use crate::hygiene::{Answer, Releasing};
use crate::model::{Model, Watch};
use crate::reference::{ARG_FIELDS, FIELDS, TEMPS, all_keys};
use crate::strategies::Transition;
use crate::sut::Sut;

/// Runs a hygiene transition on the store and checks its answer; the changes it reports.
pub(crate) fn apply(sut: &mut Sut, model: &Model, transition: &Transition) -> Option<Changes> {
    use Transition::*;
    let before = sut.store.clone();
    let answer = model
        .hygiene
        .answer
        .clone()
        .expect("a hygiene call answers");
    let unchanged = |sut: &Sut, what: &str| {
        assert!(sut.store == before, "{what} changed the store");
    };
    let marked = |sut: &Sut, got: Result<usize, String>| {
        let Answer::Marked(want) = &answer else {
            panic!("{transition:?} answered {answer:?}")
        };
        assert_eq!(got.as_ref().ok(), want.as_ref(), "{transition:?}: {got:?}");
        if got.is_err() {
            unchanged(sut, "a refused invalidation");
        }
    };
    match transition {
        Invalidate(key) => {
            let got = sut.store.invalidate(sut.key_text(key).as_str());
            marked(sut, got.map_err(|e| e.to_string()));
            None
        }
        InvalidateField(key, field) => {
            let got = sut
                .store
                .invalidate_field(sut.key_text(key).as_str(), field);
            marked(sut, got.map_err(|e| e.to_string()));
            None
        }
        InvalidateQuery(doc) => {
            let doc = Document::parse(doc).expect("a valid document");
            let got = sut.store.invalidate_query(&doc, &json!({}));
            if let Err(error) = &got {
                assert!(
                    matches!(error, ReadError::WrongShape { .. }),
                    "refused for {error:?}"
                );
            }
            marked(sut, got.map_err(|e| e.to_string()));
            None
        }
        TagWatch(name, tag) => {
            let id = sut.watching.id(*name);
            let tagged = sut.store.tag_watch(id, tag);
            assert_eq!(Some(Answer::Tagged(tagged)), Some(answer), "tag_watch");
            None
        }
        InvalidateTag(tag) => {
            let got = sut.store.invalidate_tag(tag);
            marked(sut, Ok(got));
            None
        }
        Retain(key) => {
            let got = sut.store.retain(sut.key_text(key).as_str());
            assert_eq!(Answer::Retained(got.is_ok()), answer, "retain: {got:?}");
            if got.is_err() {
                unchanged(sut, "a refused retain");
            }
            None
        }
        Release(key) => {
            let got = sut.store.release(sut.key_text(key).as_str());
            let Answer::Released(want) = answer else {
                panic!("{transition:?} answered {answer:?}")
            };
            match (&got, want) {
                (Ok(()), Releasing::Done) => {}
                (Err(ReleaseError::NotRetained(got)), Releasing::NotRetained(key)) => {
                    assert_eq!(*got, sut.key(key), "the key not retained");
                    unchanged(sut, "a refused release");
                }
                (Err(ReleaseError::Key(_)), Releasing::InvalidKey) => {
                    unchanged(sut, "a release of an invalid key");
                }
                _ => panic!("release: {got:?}, the reference expects {want:?}"),
            }
            None
        }
        Gc => {
            let changes = sut.store.gc();
            let Answer::Collected(collected) = answer else {
                panic!("{transition:?} answered {answer:?}")
            };
            for (key, entity) in &collected {
                let key = sut.key(key);
                if model.drained && before.get(&key).is_none() {
                    // An abandoned layer that deleted the key was drained by this call: the
                    // view lacked the key before the call and lacks it after, no net change.
                    assert!(
                        changes.views(key.as_str()).is_none(),
                        "{key}: no net change"
                    );
                    assert!(sut.store.get_confirmed(&key).is_none(), "{key} left base");
                    continue;
                }
                let (was, now) = changes
                    .views(key.as_str())
                    .unwrap_or_else(|| panic!("gc removed {key} without telling"));
                assert!(now.is_none(), "gc reports {key} removed");
                if !model.drained {
                    assert_eq!(was.map(|e| sut.fields(e)).as_ref(), Some(entity), "{key}");
                }
                assert!(sut.store.get_confirmed(&key).is_none(), "{key} left base");
            }
            Some(changes)
        }
        Evict(key) | EvictField(key, _) => {
            let key = sut.key_text(key);
            let got = match transition {
                EvictField(_, field) => sut.store.evict_field(key.as_str(), field),
                _ => sut.store.evict(key.as_str()),
            };
            assert_eq!(Answer::Evicted(got.is_ok()), answer, "evict: {got:?}");
            match got {
                Ok(changes) => Some(changes),
                Err(_) => {
                    unchanged(sut, "a refused evict");
                    None
                }
            }
        }
        _ => unreachable!("{transition:?} is no hygiene transition"),
    }
}

impl Sut {
    /// The text of the store's key for a test key, which may be no valid key (`Item:`).
    pub(crate) fn key_text(&self, name: &str) -> String {
        if crate::hygiene::valid(name) {
            self.key(name).as_str().to_owned()
        } else {
            name.to_owned()
        }
    }

    /// The check after every step (see the module's documentation).
    pub(crate) fn check_hygiene(&self, model: &Model) {
        let store = &self.store;
        let marks: BTreeSet<(String, String)> = store
            .stale_fields()
            .map(|(key, field)| (self.name(key), field.as_str().to_owned()))
            .collect();
        let want: BTreeSet<(String, String)> = model
            .hygiene
            .marks
            .iter()
            .map(|(key, field)| ((*key).to_owned(), field.clone()))
            .collect();
        assert_eq!(marks, want, "stale marks: store (left), reference (right)");
        assert_eq!(store.stale_count(), want.len(), "stale_count");
        let keys: BTreeSet<String> = store.stale_keys().map(|key| self.name(key)).collect();
        let want_keys: BTreeSet<String> = want.iter().map(|(key, _)| key.clone()).collect();
        assert_eq!(keys, want_keys, "stale_keys");
        for name in all_keys() {
            if TEMPS.contains(&name) && !model.temps.contains_key(name) {
                continue;
            }
            let key = self.key(name);
            let resolved = model.resolved(name);
            assert_eq!(
                store.is_stale(key.as_str()),
                want_keys.contains(resolved),
                "is_stale({name})"
            );
            if want.is_empty() {
                continue;
            }
            for field in FIELDS.iter().chain(&ARG_FIELDS) {
                let marked = model
                    .hygiene
                    .marks
                    .contains(&(resolved, (*field).to_owned()));
                assert_eq!(
                    store.is_field_stale(key.as_str(), field),
                    marked,
                    "is_field_stale({name}, {field})"
                );
            }
        }

        let retained: BTreeMap<String, usize> = store
            .retained()
            .map(|(key, n)| (self.name(key), n))
            .collect();
        let want_retained: BTreeMap<String, usize> = model
            .hygiene
            .retained
            .iter()
            .map(|(key, n)| ((*key).to_owned(), *n))
            .collect();
        assert_eq!(
            retained, want_retained,
            "retained: store (left), reference (right)"
        );

        let stale: Vec<u32> = store
            .stale()
            .into_iter()
            .map(|id| self.watching.name_of(id).expect("a live watcher"))
            .collect();
        let want_stale = model.stale_watchers();
        assert_eq!(
            stale, want_stale,
            "stale(): store (left), reference (right)"
        );
        for (name, id, doc) in self.watching.live() {
            let want = match model.watches.get(&name) {
                Some(Watch::Query(text)) => !want.is_empty() && model.reads_a_mark(text),
                _ => false,
            };
            assert_eq!(store.is_watch_stale(id), want, "is_watch_stale({name})");
            if let Some(doc) = doc {
                let query = Query::new(doc.clone(), json!({}));
                assert_eq!(query.is_stale(store), want, "Query::is_stale ({name})");
            }
        }
    }
}
