//! The core's behaviour, driven through `App::update` and the commands it returns, with no I/O:
//! the test is the shell (`harness.rs`), answering each HTTP request and timer by hand. One
//! file per behaviour.

mod add;
mod conflict;
mod delete;
mod harness;
mod list;
mod lost_answer;
mod no_render;
mod offline;
