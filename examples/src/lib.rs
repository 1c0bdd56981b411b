//! The example binaries' shared code: the `glassix-to-intercom` migrator CLI as a library, so a
//! program with its own mappers is the same CLI with one line changed.
//!
//! ```no_run
//! use migration_core::map::Mappers;
//!
//! fn main() -> std::process::ExitCode {
//!     // The stock CLI: `glassix_to_intercom_examples::cli::main()`.
//!     // The same CLI with (here: the default) mappers of your own:
//!     glassix_to_intercom_examples::cli::main_with(Mappers::default())
//! }
//! ```

pub mod bench;
pub mod cli;
pub mod custom_mapper;
