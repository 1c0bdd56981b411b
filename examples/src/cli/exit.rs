//! Exit codes and the CLI's error: every message says what to do next.

use std::process::ExitCode;

use migration_core::execute::ExecError;

/// Why the CLI stopped; each reason has its own exit code (documented in `docs/cli.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done.
    Success,
    /// 1: an unexpected failure (a service unreachable, a file or ledger error).
    Failure,
    /// 2: the configuration, a secret variable, the spec or the credentials need fixing.
    Config,
    /// 3: records wait for agents or departments to be created in Intercom by hand.
    BlockedOnProvisioning,
    /// 4: the Glassix workspace's plan has no API access, or API access is refused.
    TierWithoutApi,
    /// 5: interrupted, or some records failed, or the counts do not add up; run again.
    Partial,
    /// 6: `verify` found an object in Intercom that differs from what was written, or missing.
    Mismatch,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Config => 2,
            Exit::BlockedOnProvisioning => 3,
            Exit::TierWithoutApi => 4,
            Exit::Partial => 5,
            Exit::Mismatch => 6,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e.code())
    }
}

/// An error that ends the command, with its exit code and a message that says what to do.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct CliError {
    /// The exit code it ends with.
    pub exit: Exit,
    /// What went wrong and what to do.
    pub message: String,
}

impl CliError {
    /// A configuration error (exit 2).
    pub fn config(message: impl Into<String>) -> Self {
        CliError {
            exit: Exit::Config,
            message: message.into(),
        }
    }

    /// An unexpected failure (exit 1).
    pub fn failure(message: impl Into<String>) -> Self {
        CliError {
            exit: Exit::Failure,
            message: message.into(),
        }
    }

    /// A file could not be written or read.
    pub fn io(path: &std::path::Path, e: impl std::fmt::Display) -> Self {
        CliError::failure(format!(
            "{}: {e}. Check that the folder exists and is writable",
            path.display()
        ))
    }
}

/// Classifies a Glassix client error.
pub fn from_glassix(e: glassix_client::Error) -> CliError {
    use glassix_client::Error as G;
    let exit = match &e {
        G::TierWithoutApi { .. } | G::ApiAccessDenied { .. } => Exit::TierWithoutApi,
        G::InvalidCredentials { .. }
        | G::Config { .. }
        | G::InvalidUrl { .. }
        | G::UnknownDepartment { .. } => Exit::Config,
        _ => Exit::Failure,
    };
    let mut message = e.to_string();
    if exit == Exit::Failure {
        message.push_str(
            ". Check the network and the [glassix] section of the configuration, then run again \
             (a migration resumes where it stopped)",
        );
    }
    CliError { exit, message }
}

/// Classifies an Intercom client error.
pub fn from_intercom(e: intercom_client::Error) -> CliError {
    let status = e.status();
    if status == Some(401) || status == Some(403) {
        return CliError::config(format!(
            "{e}. Intercom refused the access token: check the variable named by \
             intercom.token_env, the workspace's region, and the token's permissions (Developer \
             Hub → your app → Authentication)"
        ));
    }
    CliError::failure(format!(
        "{e}. Check the network and the [intercom] section of the configuration, then run again \
         (a migration resumes where it stopped)"
    ))
}

/// Classifies an engine error.
pub fn from_exec(e: ExecError) -> CliError {
    match e {
        ExecError::Glassix(g) => from_glassix(g),
        ExecError::Intercom(i) => from_intercom(i),
        ExecError::Core(c) => from_core(c),
        ExecError::Config(m) => CliError::config(m),
        other => CliError::failure(other.to_string()),
    }
}

/// Classifies an error of the spec, ledger or planner.
pub fn from_core(e: migration_core::Error) -> CliError {
    use migration_core::Error as C;
    match e {
        C::Spec(_) | C::SpecNotConfirmed { .. } => CliError::config(e.to_string()),
        C::LedgerSchemaTooNew { .. } => CliError::config(format!(
            "{e}. Use the version of glassix-to-intercom that wrote this ledger"
        )),
        other => CliError::failure(other.to_string()),
    }
}

/// A request to stop the process: SIGINT (Ctrl-C) or SIGTERM (what `timeout`, systemd,
/// Kubernetes and CI runners send).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    /// SIGINT, signal 2 (Ctrl-C).
    Interrupt,
    /// SIGTERM, signal 15.
    Terminate,
}

impl StopSignal {
    /// The signal's name (`SIGINT`, `SIGTERM`).
    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
        }
    }

    /// The exit code of a process ended by the signal: 128 + its number (130, 143), as shells
    /// report it.
    pub fn exit_code(self) -> i32 {
        match self {
            StopSignal::Interrupt => 130,
            StopSignal::Terminate => 143,
        }
    }
}

/// Listens for SIGINT and SIGTERM for the rest of the process.
///
/// The first signal asks the command to stop cleanly: [`StopListener::requested`] returns, and
/// the command saves where it stands and exits with [`Exit::Partial`]. A second signal (or any
/// signal once the listener is dropped, that is once nothing is left to save cleanly) ends the
/// process at once with [`StopSignal::exit_code`]: the ledger records every create before it
/// is sent, so even that stop is resumed without duplicates.
#[derive(Debug)]
pub struct StopListener {
    rx: tokio::sync::watch::Receiver<Option<StopSignal>>,
}

impl StopListener {
    /// Installs the handlers (from now on the signals no longer end the process by themselves)
    /// and starts listening. `console` tells the operator what happens.
    pub fn install(console: super::console::Console) -> Result<Self, CliError> {
        let (tx, rx) = tokio::sync::watch::channel(None);
        // The listener has a thread and a runtime of its own: the CLI's runtime has one thread,
        // and a second signal must end the process at once even while that thread is busy
        // saving where the run stands.
        let cannot = |e: std::io::Error| {
            CliError::failure(format!(
                "cannot listen for SIGINT and SIGTERM: {e}; nothing was started"
            ))
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(cannot)?;
        let mut signals = {
            let _in_listener_runtime = runtime.enter();
            Signals::new()?
        };
        let listen = async move {
            while let Some(signal) = signals.next().await {
                let first = tx.borrow().is_none();
                if first && !tx.is_closed() {
                    console.error(format!(
                        "{} received: stopping cleanly (send it again to exit at once)",
                        signal.name()
                    ));
                    tx.send_replace(Some(signal));
                } else {
                    console.error(format!(
                        "{}: exiting at once (exit {}); run `migrate` again to resume",
                        signal.name(),
                        signal.exit_code()
                    ));
                    std::process::exit(signal.exit_code());
                }
            }
        };
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || runtime.block_on(listen))
            .map_err(cannot)?;
        Ok(StopListener { rx })
    }

    /// Resolves with the first signal received (at once if one came already).
    pub async fn requested(&mut self) -> StopSignal {
        let seen = self
            .rx
            .wait_for(Option::is_some)
            .await
            .ok()
            .and_then(|s| *s);
        match seen {
            Some(signal) => signal,
            // The listening task ended (its runtime is shutting down): no signal will come.
            None => std::future::pending().await,
        }
    }
}

/// The two signal streams.
#[cfg(unix)]
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> Result<Self, CliError> {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind: SignalKind, name: &str| {
            signal(kind).map_err(|e| {
                CliError::failure(format!(
                    "cannot listen for {name}: {e}; nothing was started"
                ))
            })
        };
        Ok(Signals {
            interrupt: listen(SignalKind::interrupt(), "SIGINT")?,
            terminate: listen(SignalKind::terminate(), "SIGTERM")?,
        })
    }

    async fn next(&mut self) -> Option<StopSignal> {
        tokio::select! {
            s = self.interrupt.recv() => s.map(|()| StopSignal::Interrupt),
            s = self.terminate.recv() => s.map(|()| StopSignal::Terminate),
        }
    }
}

/// Ctrl-C only where Unix signals do not exist.
#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> Result<Self, CliError> {
        Ok(Signals)
    }

    async fn next(&mut self) -> Option<StopSignal> {
        tokio::signal::ctrl_c()
            .await
            .ok()
            .map(|()| StopSignal::Interrupt)
    }
}
