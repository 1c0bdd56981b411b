//! `glassix-to-intercom`: migrate a Glassix helpdesk to Intercom. `--help` lists the subcommands;
//! `glassix-to-intercom demo` runs a whole migration against the built-in sandbox.

/// mimalloc instead of the system allocator: the run allocates and frees many small buffers
/// per request (bodies, headers, JSON values); glibc's malloc was about an eighth of the
/// CLI's CPU samples (`docs/performance.md`, "Fourth pass").
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    glassix_to_intercom_examples::cli::main()
}
