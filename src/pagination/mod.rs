//! Ready-made field policies for paginated fields, as Apollo Client ships them: each is a
//! [`FieldPolicy`](crate::FieldPolicy) of `key_args`, a `merge` and, where the stored form is not
//! what is read, a `read`; each is checked against Apollo's own output (`tests/pagination.rs`,
//! fixtures recorded from Apollo under Node).

mod cursor;
mod offset_limit;
mod relay;

pub use cursor::cursor_pagination;
pub use offset_limit::{MAX_OFFSET_GAP, offset_limit_pagination};
pub use relay::relay_style_pagination;
