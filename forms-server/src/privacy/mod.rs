//! The privacy lifecycle: what happens to a citizen's data after it is stored.
//!
//! - [`retention`]: a submission is deleted, with its notes, when the retention its
//!   form declares has ended; each deletion is an audit entry.
//!
//! Must never: keep a submission past its retention, or delete one without an audit
//! entry saying so.

pub mod retention;
