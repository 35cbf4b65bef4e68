//! W6 of `benches/README.md`: heap bytes per entity at N = 100,000, and the extra bytes one
//! pending layer of 4 keys holds (averaged over 1000 layers pushed as in W1); and what a
//! registered query watcher holds (W7's 10,000 single-item watchers, averaged).
//!
//! Bytes are counted by a counting global allocator (`stats_alloc`, wrapping the system
//! allocator): the net bytes requested and not yet freed, so the figures do not include
//! malloc's own per-block overhead (typically 8-16 bytes a block; the live block counts are
//! printed so it can be estimated). Resident memory from `/proc/self/statm` is printed next to
//! them as a cross-check. Apollo's side reports V8's `heapUsed` growth for the same data.
//!
//! `cargo bench --bench memory -- [OUT.json]` prints a table and writes
//! `[{"workload": "W6 bytes/entity", "optimist_bytes": ..}, {"workload": "W6 bytes/layer(4 keys)", ..},
//! {"workload": "W7 bytes/query watcher", ..}]`
//! to OUT.json when given. As a test (`cargo test --benches`) it runs on a few items and
//! writes nothing.

mod common;

use std::alloc::System;
use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{
    Names, W7_ITEM_QUERY, W7_ITEMS, base_plain, base_store, fresh_pick, item_keys, layer_patch,
    measuring, n_items, w7_store,
};
use optimist::Document;
use serde_json::json;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Layers pushed to measure one layer's cost.
const LAYERS: usize = 1000;

/// Live heap: bytes and blocks allocated and not yet freed, since the program started.
#[derive(Clone, Copy)]
struct Live {
    bytes: i64,
    blocks: i64,
    /// Resident set size, from `/proc/self/statm` (0 where it cannot be read).
    rss: i64,
}

fn live() -> Live {
    let stats = GLOBAL.stats();
    let signed = |n: usize| i64::try_from(n).expect("fits in i64");
    Live {
        bytes: signed(stats.bytes_allocated) - signed(stats.bytes_deallocated),
        blocks: signed(stats.allocations) - signed(stats.deallocations),
        rss: rss_bytes(),
    }
}

/// Resident pages times the page size (4 KiB on the machines this runs on).
fn rss_bytes() -> i64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<i64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// What `count` items (or layers) added, per item.
struct PerItem {
    bytes: f64,
    blocks: f64,
    rss: f64,
}

#[expect(
    clippy::cast_precision_loss,
    reason = "byte counts far below 2^52; the result is an average"
)]
fn per_item(before: Live, after: Live, count: usize) -> PerItem {
    let count = count as f64;
    PerItem {
        bytes: (after.bytes - before.bytes) as f64 / count,
        blocks: (after.blocks - before.blocks) as f64 / count,
        rss: (after.rss - before.rss) as f64 / count,
    }
}

fn main() {
    // The region is only there to make sure the counting allocator is the one in use.
    let region = Region::new(GLOBAL);
    let names = Names::new();
    let n = n_items();

    // Entities: the store builds its own keys (counted), from one patch that is dropped before
    // the second reading.
    let before = live();
    let store = base_store(&names, n);
    let entities = per_item(before, live(), n);
    assert!(
        region.change().allocations > 0,
        "the counting allocator is in use"
    );

    // Layers: as in W1, on that store.
    let keys = item_keys(n);
    let mut store = store;
    let mut pick = fresh_pick();
    let before = live();
    for serial in 0..LAYERS {
        let patch = layer_patch(&names, &keys, &mut pick, serial);
        store
            .push(&format!("layer-{serial}"), patch)
            .expect("a valid layer");
    }
    let layers = per_item(before, live(), LAYERS);
    assert_eq!(store.layers().len(), LAYERS);
    drop(store);
    drop(keys);

    // The baseline: the same entities in a plain `HashMap<Key, Entity>`.
    let before = live();
    let plain = base_plain(&names, n);
    let baseline = per_item(before, live(), n);
    assert_eq!(plain.len(), n);
    drop(plain);

    // Watchers: W7's store, then its 10,000 single-item query watchers (each with its kept
    // query, last result, dependencies and index entries; the list watchers are not counted).
    let mut store = w7_store(&names);
    let told = Arc::new(AtomicUsize::new(0));
    let doc = Document::parse(W7_ITEM_QUERY).expect("a valid query");
    let before = live();
    for i in 0..W7_ITEMS {
        let told = told.clone();
        store.watch_query(doc.clone(), json!({"id": i.to_string()}), move |_| {
            told.fetch_add(1, Ordering::Relaxed);
        });
    }
    let watchers = per_item(before, live(), W7_ITEMS);
    assert_eq!(store.watcher_count(), W7_ITEMS);
    drop(store);

    println!(
        "W6 memory, N = {n} items, {LAYERS} layers of 4 keys (counting allocator; RSS as a cross-check)"
    );
    println!(
        "{:<24} {:>10} {:>13} {:>10}",
        "", "heap bytes", "heap blocks", "RSS bytes"
    );
    for (label, figure) in [
        ("bytes/entity", &entities),
        ("bytes/layer(4 keys)", &layers),
        ("baseline HashMap/entity", &baseline),
        ("bytes/query watcher", &watchers),
    ] {
        println!(
            "{label:<24} {:>10.1} {:>13.2} {:>10.1}",
            figure.bytes, figure.blocks, figure.rss
        );
    }

    // Only a measuring run on the full N writes results.
    let out = std::env::args().skip(1).find(|arg| !arg.starts_with("--"));
    if let (Some(out), true) = (out, measuring()) {
        let mut json = String::from("[\n");
        let _ = writeln!(
            json,
            "  {{\"workload\": \"W6 bytes/entity\", \"optimist_bytes\": {:.1}, \"optimist_blocks\": {:.2}, \"optimist_rss_bytes\": {:.1}, \"baseline_bytes\": {:.1}, \"n\": {n}}},",
            entities.bytes, entities.blocks, entities.rss, baseline.bytes
        );
        let _ = writeln!(
            json,
            "  {{\"workload\": \"W6 bytes/layer(4 keys)\", \"optimist_bytes\": {:.1}, \"optimist_blocks\": {:.2}, \"optimist_rss_bytes\": {:.1}, \"layers\": {LAYERS}}},",
            layers.bytes, layers.blocks, layers.rss
        );
        let _ = writeln!(
            json,
            "  {{\"workload\": \"W7 bytes/query watcher\", \"optimist_bytes\": {:.1}, \"optimist_blocks\": {:.2}, \"optimist_rss_bytes\": {:.1}, \"watchers\": {W7_ITEMS}}}",
            watchers.bytes, watchers.blocks, watchers.rss
        );
        json.push_str("]\n");
        std::fs::write(&out, json).unwrap_or_else(|error| panic!("cannot write {out}: {error}"));
        println!("wrote {out}");
    }
}
