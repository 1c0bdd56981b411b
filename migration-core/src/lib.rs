//! Glassix → Intercom migration engine: the foundations the mappers, discovery and executor
//! build on.
//!
//! | Module | What it holds |
//! |---|---|
//! | [`verify`] | Read back every migrated object and compare it field by field |
//! | [`spec`] | The user-editable mapping spec (TOML + JSON Schema), its proposal and confirmation |
//! | [`ledger`] | The SQLite ledger: resume, delta, reconciliation and rollback |
//! | [`discover`] | What the source holds and how it meets the destination, before anything moves |
//! | [`migration`] | The entry point: a configured [`Migration`] that discovers, plans and runs |
//! | [`execute`] | The run: the plan's steps in order, extract → map → load → record, create-once |
//! | [`outcome`] | How a source record ended: the one outcome type |
//! | [`map`] | Pure mappers: Glassix records → Intercom requests, queue reasons and lossy notes |
//! | [`plan`] | Steps with dependencies, topological order, call counts and duration estimate |
//! | [`accounting`] | Every record migrated, queued, skipped or failed — and the counts add up |
//! | [`html`] | E-mail HTML reduced to what Intercom part bodies accept |
//! | [`progress`] | Progress events with rate and ETA |
//! | [`rollback`] | Undo what the migration created: everything, a run, kinds or ids |
//! | [`hashing`] | Stable SHA-256 of canonical JSON (source hashes, spec hash) |
//! | [`kind`] | Object kinds shared by all of the above |
//! | [`error`] | The crate's error type |
//!
//! ```
//! use migration_core::ObjectKind;
//! use migration_core::hashing::source_hash;
//! use migration_core::ledger::{Ledger, RunMode, WriteNeed};
//! use migration_core::spec::{DiscoveryFacts, FieldFacts, MappingSpec};
//!
//! # fn main() -> migration_core::Result<()> {
//! // 1. Draft a spec from what discovery saw; a person reviews and confirms it.
//! let facts = DiscoveryFacts {
//!     custom_fields: vec![FieldFacts {
//!         source: "field2".into(),
//!         label: Some("Order number".into()),
//!         samples: vec!["1001".into(), "1002".into()],
//!         ..Default::default() // discovery also fills value statistics per department
//!     }],
//!     ..Default::default()
//! };
//! let proposal = MappingSpec::proposal(&facts);
//! let toml_text = proposal.to_toml(); // written to a file for review
//! let spec = MappingSpec::from_toml_str(&toml_text)?;
//! assert!(spec.require_confirmed().is_err()); // `migrate` refuses until confirmed
//!
//! // 2. Record every create in the ledger: intent first, completion after.
//! let ledger = Ledger::open_in_memory()?;
//! let run = ledger.begin_run(RunMode::Migrate, &spec.hash()?)?;
//! let ticket = serde_json::json!({"id": 220668019, "field2": "1001"});
//! let hash = source_hash(&ticket)?;
//! if ledger.needs_write(&ObjectKind::Ticket, "220668019", &hash)? == WriteNeed::Create {
//!     let intent = ledger.record_intent(&ObjectKind::Ticket, "220668019", &hash, run)?;
//!     // ... POST /tickets ...
//!     ledger.complete_intent(intent.id, "ticket_42", &hash)?;
//! }
//! assert_eq!(ledger.counts(&ObjectKind::Ticket)?.migrated, 1);
//!
//! // 3. Bodies are reduced to what Intercom accepts.
//! let body = migration_core::html::reduce_html("<p onclick='x()'>Hi <b>there</b></p>");
//! assert_eq!(body, "<p>Hi <b>there</b></p>");
//! # Ok(())
//! # }
//! ```

pub mod accounting;
pub mod discover;
pub mod error;
pub mod execute;
pub mod hashing;
pub mod html;
mod intercom_schema;
pub mod kind;
pub mod ledger;
pub mod map;
pub mod migration;
pub mod outcome;
pub mod plan;
pub mod progress;
pub mod rollback;
pub mod spec;
pub mod verify;

pub use error::{Error, Result};
pub use kind::{ObjectKind, RollbackAction};
pub use migration::{Migration, MigrationBuilder, RunResult};
pub use outcome::Outcome;
