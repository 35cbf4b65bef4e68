//! Shapes: the sorted field names of an entity, shared by every entity with the same names.
//!
//! An entity stores its values only; its names sit in a [`Shape`] that all entities with the
//! same field names share (100,000 items of one type hold one list of names). Shapes are found
//! in a small cache per thread, keyed by the names' text: building an entity whose names match
//! a recent shape's costs a hash of the names and no allocation. The cache is direct mapped and
//! bounded; a name list it has lost gets a fresh shape, which costs memory, never correctness
//! (shapes compare by their names).

use std::cell::RefCell;
use std::hash::{BuildHasher, Hasher};

use triomphe::ThinArc;

use crate::field::FieldName;

/// Sorted, distinct field names, in one shared allocation behind a one-word pointer.
#[derive(Clone)]
pub(crate) struct Shape(ThinArc<(), FieldName>);

/// Slots in each thread's cache of shapes.
const CACHE_SLOTS: usize = 256;

/// A thread's recent shapes.
struct Cache {
    /// The shape found or made last.
    last: Option<Shape>,
    /// Shapes by [`slot_of`] their names.
    slots: Vec<Option<Shape>>,
}

thread_local! {
    static CACHE: RefCell<Cache> = RefCell::new(Cache {
        last: None,
        slots: vec![None; CACHE_SLOTS],
    });
}

impl Shape {
    /// The names, sorted.
    pub(crate) fn names(&self) -> &[FieldName] {
        &self.0.slice
    }

    /// Whether two shapes are one allocation.
    pub(crate) fn ptr_eq(&self, other: &Shape) -> bool {
        std::ptr::eq(&*self.0, &*other.0)
    }

    /// The shape of these names (sorted, distinct): a cached one with the same names, or a new
    /// one, cached.
    pub(crate) fn of<'a, I>(names: I) -> Shape
    where
        I: ExactSizeIterator<Item = &'a FieldName> + Clone,
    {
        let fresh = |names: I| Shape(ThinArc::from_header_and_iter((), names.cloned()));
        let same = |shape: &Shape, names: I| {
            shape.names().len() == names.len() && shape.names().iter().eq(names)
        };
        CACHE
            .try_with(|cache| {
                let mut cache = cache.borrow_mut();
                // Entities are mostly built in runs of one type: the last shape first, unhashed.
                if let Some(last) = &cache.last
                    && same(last, names.clone())
                {
                    return last.clone();
                }
                let slot = slot_of(names.clone());
                let shape = match cache.slots.get(slot) {
                    Some(Some(found)) if same(found, names.clone()) => found.clone(),
                    _ => {
                        let shape = fresh(names.clone());
                        if let Some(entry) = cache.slots.get_mut(slot) {
                            *entry = Some(shape.clone());
                        }
                        shape
                    }
                };
                cache.last = Some(shape.clone());
                shape
            })
            // The thread is exiting and its cache is gone: an unshared shape.
            .unwrap_or_else(|_| fresh(names))
    }
}

/// The cache slot of a list of names: a hash of their text.
fn slot_of<'a>(names: impl ExactSizeIterator<Item = &'a FieldName>) -> usize {
    let mut hasher = foldhash::fast::FixedState::with_seed(0x5ea9e).build_hasher();
    hasher.write_usize(names.len());
    for name in names {
        hasher.write(name.as_str().as_bytes());
        hasher.write_u8(0xff);
    }
    // The remainder is below CACHE_SLOTS: the cast cannot truncate.
    (hasher.finish() % CACHE_SLOTS as u64) as usize
}

impl PartialEq for Shape {
    fn eq(&self, other: &Shape) -> bool {
        self.ptr_eq(other) || self.names() == other.names()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_names_share_one_shape() {
        let names = [FieldName::new("id"), FieldName::new("title")];
        let again = [
            FieldName::from(String::from("id")),
            FieldName::from(String::from("title")),
        ];
        let (a, b) = (Shape::of(names.iter()), Shape::of(again.iter()));
        assert!(a.ptr_eq(&b), "the cache found the first");
        assert_eq!(a.names(), &names);
        let other = Shape::of(names[..1].iter());
        assert!(!a.ptr_eq(&other));
        assert!(a != other, "other names, another shape");
    }

    #[test]
    fn a_shape_is_one_word() {
        assert_eq!(size_of::<Shape>(), size_of::<usize>());
    }
}
