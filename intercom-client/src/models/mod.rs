//! Typed requests (strict, plain values) and responses (lenient) of the Intercom API 2.16.
//!
//! Requests skip `None` fields, never send `null` where the spec forbids it, carry ids as strings
//! (encoded as integers only where the spec demands it) and timestamps as Unix seconds.
//! Responses accept unknown fields and enum values, missing fields and odd id/timestamp shapes.

pub mod admin;
pub mod attribute;
pub mod common;
pub mod contact;
pub mod conversation;
pub mod help_center;
pub mod search;
pub mod tag;
pub mod ticket;
pub mod ticket_type;

pub use admin::*;
pub use attribute::*;
pub use common::*;
pub use contact::*;
pub use conversation::*;
pub use help_center::*;
pub use search::*;
pub use tag::*;
pub use ticket::*;
pub use ticket_type::*;
