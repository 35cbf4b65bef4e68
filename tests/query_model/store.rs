//! The reference's naive store: a base of four keys and a `Vec` of layers in stack order,
//! folded from scratch for every read; where a query's slot goes, what folds into base.

use serde_json::{Value as Json, json};

use crate::reference::Model;

/// A value of `Item:<i>.v`: an answer's number or a mutation's guess.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum V {
    Answer(u8),
    Guess(u8),
}

impl V {
    pub(crate) fn json(self) -> Json {
        match self {
            V::Answer(n) => json!(n),
            V::Guess(g) => json!(format!("g{g}")),
        }
    }
}

#[derive(Clone, Debug)]
pub(crate) enum Layer {
    /// A fetch's reserved slot, answered or not.
    Slot {
        fetch: usize,
        key: usize,
        answer: Option<u8>,
    },
    /// A mutation on `Item:<key>`.
    Intent {
        serial: usize,
        key: usize,
        guess: u8,
        confirmed: bool,
    },
}

impl Layer {
    pub(crate) fn settled(&self) -> bool {
        match self {
            Layer::Slot { answer, .. } => answer.is_some(),
            Layer::Intent { confirmed, .. } => *confirmed,
        }
    }
}

impl Model {
    /// Whether the view holds `ROOT_QUERY.f<key>`.
    pub(crate) fn view_field(&self, key: usize) -> bool {
        self.base_field[key]
            || self.stack.iter().any(
                |layer| matches!(layer, Layer::Slot { key: k, answer: Some(_), .. } if *k == key),
            )
    }

    /// `Item:<key>.v` in the view: base, then every layer in order.
    pub(crate) fn view_v(&self, key: usize) -> Option<V> {
        self.stack
            .iter()
            .fold(self.base_v[key], |v, layer| match layer {
                Layer::Slot {
                    key: k,
                    answer: Some(n),
                    ..
                } if *k == key => Some(V::Answer(*n)),
                Layer::Intent { key: k, guess, .. } if *k == key => Some(V::Guess(*guess)),
                _ => v,
            })
    }

    /// A slot for `fetch`: directly below the lowest pending mutation, on top if none.
    pub(crate) fn reserve(&mut self, fetch: usize, key: usize) {
        let at = self
            .stack
            .iter()
            .position(|layer| {
                matches!(
                    layer,
                    Layer::Intent {
                        confirmed: false,
                        ..
                    }
                )
            })
            .unwrap_or(self.stack.len());
        self.stack.insert(
            at,
            Layer::Slot {
                fetch,
                key,
                answer: None,
            },
        );
    }

    pub(crate) fn slot_index(&self, fetch: usize) -> Option<usize> {
        self.stack
            .iter()
            .position(|layer| matches!(layer, Layer::Slot { fetch: f, .. } if *f == fetch))
    }

    pub(crate) fn cancel_slot(&mut self, fetch: usize) {
        if let Some(at) = self.slot_index(fetch) {
            self.stack.remove(at);
        }
        self.fold();
    }

    /// Settled layers at the bottom fold into base.
    pub(crate) fn fold(&mut self) {
        while self.stack.first().is_some_and(Layer::settled) {
            match self.stack.remove(0) {
                Layer::Slot {
                    key,
                    answer: Some(n),
                    ..
                } => {
                    // Its mark went when the answer came (`resolve`), not now.
                    self.base_field[key] = true;
                    self.base_v[key] = Some(V::Answer(n));
                }
                Layer::Intent { key, guess, .. } => self.base_v[key] = Some(V::Guess(guess)),
                Layer::Slot { answer: None, .. } => unreachable!("settled"),
            }
        }
    }
}
