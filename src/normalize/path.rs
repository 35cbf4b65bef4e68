//! Where the walk is in the payload, for error messages.
//!
//! A path is a chain of stack frames, so extending it on every step costs nothing; it is turned
//! into text (`items.3.owner`) only when an error is built.

/// Where the walk is, as a chain of stack frames: free to extend, rendered only for an error.
#[derive(Clone, Copy)]
pub(super) struct Path<'s> {
    parent: Option<&'s Path<'s>>,
    step: Step<'s>,
}

#[derive(Clone, Copy)]
enum Step<'s> {
    Root,
    Field(&'s str),
    Index(usize),
}

impl<'s> Path<'s> {
    pub(super) const ROOT: Path<'static> = Path {
        parent: None,
        step: Step::Root,
    };

    pub(super) fn field(&'s self, name: &'s str) -> Path<'s> {
        Path {
            parent: Some(self),
            step: Step::Field(name),
        }
    }

    pub(super) fn index(&'s self, index: usize) -> Path<'s> {
        Path {
            parent: Some(self),
            step: Step::Index(index),
        }
    }

    /// `items.3.owner`; the root is the empty string.
    pub(super) fn render(&self) -> String {
        let mut steps = Vec::new();
        let mut at = Some(self);
        while let Some(path) = at {
            steps.push(path.step);
            at = path.parent;
        }
        let mut out = String::new();
        for step in steps.iter().rev() {
            let text = match step {
                Step::Root => continue,
                Step::Field(name) => (*name).to_owned(),
                Step::Index(index) => index.to_string(),
            };
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&text);
        }
        out
    }
}

impl<'s> Path<'s> {
    /// The field names from the top down, list indices left out: what a
    /// [`TypeFn`](crate::TypeFn) is given.
    pub(super) fn fields(&self) -> Vec<&'s str> {
        let mut names = Vec::new();
        let mut at = Some(self);
        while let Some(path) = at {
            if let Step::Field(name) = path.step {
                names.push(name);
            }
            at = path.parent;
        }
        names.reverse();
        names
    }
}
