//! `glassix-to-intercom`: migrate a Glassix helpdesk to Intercom. `--help` lists the subcommands;
//! `glassix-to-intercom demo` runs a whole migration against the built-in sandbox.

fn main() -> std::process::ExitCode {
    glassix_to_intercom_examples::cli::main()
}
