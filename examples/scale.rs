//! Scale figures (issue 27, item 9): a store of N entities x 4 fields with L pending
//! mutations, each touching its own entity. Prints the median of a few runs of each call, so
//! the docs' costs can be checked against a measurement:
//!
//! * `Store::clone` (documented O(L + K): independent of N);
//! * `save` / `load` (in memory) against `save_json` / `load_json`;
//! * dropping a loaded store;
//! * a one-key write right after a write of more than 65,536 keys (it drops that write's record
//!   of changed keys: O(n) once), against a one-key write after a small one.
//!
//! ```sh
//! cargo run --release --example scale              # N = 1,000,000, L = 0 and 10,000
//! cargo run --release --example scale -- 200000    # another N
//! ```

use std::hint::black_box;
use std::time::{Duration, Instant};

use optimist::{Patch, Store};

/// The median time of `runs` runs of `call` (each run's setup, and dropping what the call
/// returns, untimed).
fn median<S, R>(
    runs: usize,
    mut setup: impl FnMut() -> S,
    mut call: impl FnMut(S) -> R,
) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let input = setup();
            let start = Instant::now();
            let kept = call(input);
            let time = start.elapsed();
            drop(kept);
            time
        })
        .collect();
    times.sort_unstable();
    times[runs / 2]
}

/// N entities of 4 fields in base, and L pending mutations on the first L of them.
fn store(n: usize, layers: usize) -> Store {
    let mut store = Store::new();
    for chunk in (0..n).collect::<Vec<_>>().chunks(50_000) {
        let mut patch = Patch::new();
        for &i in chunk {
            let key = format!("Item:{i}");
            patch = patch
                .set(&key, "title", format!("item {i}"))
                .set(&key, "done", i % 2 == 0)
                .set(&key, "rank", i)
                .set(&key, "note", "a short note");
        }
        store.write(patch).expect("a valid patch");
    }
    for i in 0..layers {
        let patch = Patch::new().set(format!("Item:{i}"), "done", true);
        store.push("tick", patch).expect("a valid patch");
    }
    store
}

fn ms(time: Duration) -> String {
    match time.as_secs_f64() {
        t if t < 1e-3 => format!("{:.1} µs", t * 1e6),
        t => format!("{:.1} ms", t * 1e3),
    }
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(1_000_000);
    println!("N = {n} entities x 4 fields; medians of 5 runs (3 for the slow ones)");
    for layers in [0, 10_000] {
        let built = store(n, layers);
        println!("\nL = {layers} pending mutations");
        let clone = median(5, || (), |()| black_box(built.clone()));
        println!("  Store::clone                 {}", ms(clone));
        let save = median(5, || (), |()| black_box(built.save()));
        println!("  save (in memory)             {}", ms(save));
        let load = median(
            3,
            || built.save(),
            |saved| {
                let mut fresh = Store::new();
                fresh.load(saved).expect("loads");
                black_box(fresh)
            },
        );
        println!("  load (in memory)             {}", ms(load));
        let text = built.save_json().expect("saves");
        let save_json = median(3, || (), |()| black_box(built.save_json()));
        println!(
            "  save_json ({:.0} MB)          {}",
            text.len() as f64 / 1e6,
            ms(save_json)
        );
        let load_json = median(
            3,
            || (),
            |()| {
                let mut fresh = Store::new();
                fresh.load_json(&text).expect("loads");
                black_box(fresh)
            },
        );
        println!("  load_json                    {}", ms(load_json));
        let dropped = median(
            3,
            || {
                let mut fresh = Store::new();
                fresh.load_json(&text).expect("loads");
                fresh
            },
            drop,
        );
        println!("  drop a loaded store          {}", ms(dropped));
    }
    // A write of more than 65,536 keys stays the newest entry of the store's record of
    // changed keys until the next write, which drops it.
    let big = n.min(320_000);
    let mut after_big = median(
        3,
        || {
            let mut store = store(big, 0);
            let mut patch = Patch::new();
            for i in 0..big {
                patch = patch.set(format!("Item:{i}"), "rank", i + 1);
            }
            store.write(patch).expect("a valid patch");
            store
        },
        |mut store| {
            drop(store.write(Patch::new().set("Item:0", "done", false)));
            store
        },
    );
    let steady = median(
        5,
        || {
            let mut store = store(big, 0);
            store
                .write(Patch::new().set("Item:1", "rank", 7))
                .expect("a valid patch");
            store
        },
        |mut store| {
            drop(store.write(Patch::new().set("Item:0", "done", false)));
            store
        },
    );
    after_big = after_big.max(Duration::from_nanos(1));
    println!(
        "\none-key write at {big} entities: after a write of {big} keys {}, after a one-key write {} ({:.0}x)",
        ms(after_big),
        ms(steady),
        after_big.as_secs_f64() / steady.as_secs_f64().max(1e-9)
    );
}
