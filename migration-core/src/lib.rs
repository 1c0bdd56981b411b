//! Glassix → Intercom migration engine: the foundations.
pub mod error;
pub mod hashing;
pub mod kind;
pub mod spec;

pub use error::{Error, Result};
pub use kind::{ObjectKind, RollbackAction};
pub mod accounting;
pub mod html;
pub mod ledger;
pub mod plan;
