//! `custom-mapper`: the whole `glassix-to-intercom` CLI (same subcommands, config and outputs)
//! with one mapper replaced: customers with a phone number but no e-mail become Intercom users
//! identified by their phone (`PhoneIdentityContactMapper`, see `docs/custom-mapper.md`).

use glassix_to_intercom_examples::custom_mapper::PhoneIdentityContactMapper;
use migration_core::map::Mappers;

fn main() -> std::process::ExitCode {
    glassix_to_intercom_examples::cli::main_with(
        Mappers::default().with_contacts(PhoneIdentityContactMapper::new()),
    )
}
