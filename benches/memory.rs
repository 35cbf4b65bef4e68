//! W6 of `benches/README.md`: heap bytes per entity at N = 100,000, and the extra bytes one
//! pending layer of 4 keys holds (averaged over 1000 layers pushed as in W1); and what a
//! registered query watcher holds (W7's 10,000 single-item watchers, averaged).
//!
//! Bytes are counted by a tracking global allocator (`tracking-allocator`, wrapping the system
//! allocator) that sees the size of every block: each live block counts what glibc's malloc
//! (the allocator a Linux app gets) really takes for it, its chunk: the size plus an 8-byte
//! header rounded up to 16 bytes, 32 at least; a block of 128 KiB or more is mmapped, page
//! rounded. That is the figure reported (`optimist_bytes`); the bytes requested, without that
//! overhead, and the live block counts go next to it. Resident memory from `/proc/self/statm`
//! is printed as a cross-check (it includes the wrapper's own 8 bytes a block and whatever
//! malloc keeps of freed temporaries, so it runs higher). The Node sides report V8's
//! `heapUsed` growth for the same data, keys included on every side.
//!
//! `cargo bench --bench memory -- [OUT.json]` prints a table and writes
//! `[{"workload": "W6 bytes/entity", "optimist_bytes": ..}, {"workload": "W6 bytes/layer(4 keys)", ..},
//! {"workload": "W7 bytes/query watcher", ..}]`
//! to OUT.json when given. As a test (`cargo test --benches`) it runs on a few items and
//! writes nothing.

mod common;

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};

use common::{
    Names, W7_ITEM_QUERY, W7_ITEMS, base_plain, base_store, fresh_pick, item_keys, layer_patch,
    measuring, n_items, w7_store,
};
use optimist::Document;
use serde_json::json;
use tracking_allocator::{AllocationGroupId, AllocationRegistry, AllocationTracker, Allocator};

#[global_allocator]
static GLOBAL: Allocator<std::alloc::System> = Allocator::system();

/// What glibc's malloc takes for a block of `size` bytes on x86-64 and aarch64 Linux: a chunk
/// of the size plus its 8-byte size field, rounded up to 16 bytes, 32 at least; from the mmap
/// threshold (128 KiB by default) a mapping of whole pages with a 16-byte header. (Blocks
/// aligned beyond 16 bytes cost more; the store makes none that matter here.)
fn malloc_chunk(size: usize) -> usize {
    const MMAP_THRESHOLD: usize = 128 * 1024;
    if size >= MMAP_THRESHOLD {
        (size + 16).div_ceil(4096) * 4096
    } else {
        ((size + 8 + 15) & !15).max(32)
    }
}

/// Live heap since tracking began: bytes requested, bytes malloc holds for them, blocks.
struct Counts {
    requested: AtomicI64,
    malloc: AtomicI64,
    blocks: AtomicI64,
}

static COUNTS: Counts = Counts {
    requested: AtomicI64::new(0),
    malloc: AtomicI64::new(0),
    blocks: AtomicI64::new(0),
};

/// The allocator's hook: it adds each block to [`COUNTS`] and takes it away when freed.
struct Counter;

fn signed(n: usize) -> i64 {
    i64::try_from(n).expect("fits in i64")
}

impl AllocationTracker for Counter {
    fn allocated(&self, _addr: usize, size: usize, _wrapped: usize, _group: AllocationGroupId) {
        COUNTS.requested.fetch_add(signed(size), Ordering::Relaxed);
        COUNTS
            .malloc
            .fetch_add(signed(malloc_chunk(size)), Ordering::Relaxed);
        COUNTS.blocks.fetch_add(1, Ordering::Relaxed);
    }

    fn deallocated(
        &self,
        _addr: usize,
        size: usize,
        _wrapped: usize,
        _source: AllocationGroupId,
        _current: AllocationGroupId,
    ) {
        COUNTS.requested.fetch_sub(signed(size), Ordering::Relaxed);
        COUNTS
            .malloc
            .fetch_sub(signed(malloc_chunk(size)), Ordering::Relaxed);
        COUNTS.blocks.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Layers pushed to measure one layer's cost.
const LAYERS: usize = 1000;

/// Live heap: bytes malloc holds, bytes requested and blocks allocated and not yet freed,
/// since tracking began.
#[derive(Clone, Copy)]
struct Live {
    malloc: i64,
    requested: i64,
    blocks: i64,
    /// Resident set size, from `/proc/self/statm` (0 where it cannot be read).
    rss: i64,
}

fn live() -> Live {
    Live {
        malloc: COUNTS.malloc.load(Ordering::Relaxed),
        requested: COUNTS.requested.load(Ordering::Relaxed),
        blocks: COUNTS.blocks.load(Ordering::Relaxed),
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
    /// What malloc holds (the real cost).
    bytes: f64,
    requested: f64,
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
        bytes: (after.malloc - before.malloc) as f64 / count,
        requested: (after.requested - before.requested) as f64 / count,
        blocks: (after.blocks - before.blocks) as f64 / count,
        rss: (after.rss - before.rss) as f64 / count,
    }
}

fn main() {
    AllocationRegistry::set_global_tracker(Counter).expect("the only tracker");
    AllocationRegistry::enable_tracking();
    let names = Names::new();
    let n = n_items();

    // Entities: the store builds its own keys (counted), from one patch that is dropped before
    // the second reading.
    let before = live();
    let store = base_store(&names, n);
    let entities = per_item(before, live(), n);
    assert!(entities.blocks > 1.0, "the counting allocator is in use");
    assert!(
        entities.bytes > entities.requested,
        "malloc's chunks cost more than the bytes asked for"
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
        "{:<24} {:>12} {:>15} {:>12} {:>10}",
        "", "malloc bytes", "requested bytes", "heap blocks", "RSS bytes"
    );
    for (label, figure) in [
        ("bytes/entity", &entities),
        ("bytes/layer(4 keys)", &layers),
        ("baseline HashMap/entity", &baseline),
        ("bytes/query watcher", &watchers),
    ] {
        println!(
            "{label:<24} {:>12.1} {:>15.1} {:>12.2} {:>10.1}",
            figure.bytes, figure.requested, figure.blocks, figure.rss
        );
    }

    // Only a measuring run on the full N writes results.
    let out = std::env::args().skip(1).find(|arg| !arg.starts_with("--"));
    if let (Some(out), true) = (out, measuring()) {
        let mut json = String::from("[\n");
        let _ = writeln!(
            json,
            "  {{\"workload\": \"W6 bytes/entity\", \"optimist_bytes\": {:.1}, \"optimist_requested_bytes\": {:.1}, \"optimist_blocks\": {:.2}, \"optimist_rss_bytes\": {:.1}, \"baseline_bytes\": {:.1}, \"n\": {n}}},",
            entities.bytes, entities.requested, entities.blocks, entities.rss, baseline.bytes
        );
        let _ = writeln!(
            json,
            "  {{\"workload\": \"W6 bytes/layer(4 keys)\", \"optimist_bytes\": {:.1}, \"optimist_requested_bytes\": {:.1}, \"optimist_blocks\": {:.2}, \"optimist_rss_bytes\": {:.1}, \"layers\": {LAYERS}}},",
            layers.bytes, layers.requested, layers.blocks, layers.rss
        );
        let _ = writeln!(
            json,
            "  {{\"workload\": \"W7 bytes/query watcher\", \"optimist_bytes\": {:.1}, \"optimist_requested_bytes\": {:.1}, \"optimist_blocks\": {:.2}, \"optimist_rss_bytes\": {:.1}, \"watchers\": {W7_ITEMS}}}",
            watchers.bytes, watchers.requested, watchers.blocks, watchers.rss
        );
        json.push_str("]\n");
        std::fs::write(&out, json).unwrap_or_else(|error| panic!("cannot write {out}: {error}"));
        println!("wrote {out}");
    }
}
