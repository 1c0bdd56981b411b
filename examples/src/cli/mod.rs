//! The `glassix-to-intercom` command line: subcommands, configuration, outputs and exit codes.
//! See `docs/cli.md`.

use std::process::ExitCode;

use migration_core::map::Mappers;

/// Runs the CLI on the process arguments with the default mappers.
pub fn main() -> ExitCode {
    main_with(Mappers::default())
}

/// Runs the CLI on the process arguments with `mappers` (custom mappers replace the defaults in
/// every subcommand that maps records).
pub fn main_with(mappers: Mappers) -> ExitCode {
    let _ = mappers;
    ExitCode::from(1)
}
