//! The scenarios the harness runs: workspace size, rate limits and faults.

use helpdesk_sandbox::FaultConfig;

/// A quota so large that it never binds (for the side a scenario does not throttle).
pub const UNBOUNDED: u32 = 1_000_000;

/// One benchmark scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Name, as given to `--scenario`.
    pub name: &'static str,
    /// What it shows.
    pub description: &'static str,
    /// Tickets in the generated Glassix workspace.
    pub tickets: usize,
    /// Glassix departments.
    pub departments: usize,
    /// Intercom requests admitted per window.
    pub intercom_per_window: u32,
    /// Intercom window length in seconds.
    pub intercom_window_secs: u64,
    /// Glassix requests per minute per department key.
    pub glassix_per_minute: u32,
    /// Glassix requests per hour per department key.
    pub glassix_per_hour: u32,
    /// Faults both fakes inject, from `discover` on (every command meets them).
    pub faults: FaultConfig,
    /// The migration's concurrency.
    pub concurrency: usize,
    /// Intercom apps (tokens) of the workspace the migration uses; each has
    /// `intercom_per_window`.
    pub intercom_apps: usize,
    /// Intercom requests admitted per window across every app (`None`: the sandbox's default,
    /// 2.5 × `intercom_per_window`).
    pub intercom_workspace_per_window: Option<u32>,
    /// `[intercom] workspace_share` of the migration's configuration (`None`: the default).
    pub workspace_share: Option<f64>,
}

impl Scenario {
    /// Whether Intercom's limit is meant to bind (the budget ratio is meaningful).
    pub fn intercom_bound(&self) -> bool {
        self.intercom_per_window < UNBOUNDED
    }

    /// Intercom requests per second the migration may use: every app's limit, capped with
    /// several apps by the configured share of the workspace's limit.
    pub fn intercom_per_second(&self) -> f64 {
        let window = self.intercom_window_secs.max(1) as f64;
        let apps = f64::from(self.intercom_per_window) * self.intercom_apps.max(1) as f64;
        if self.intercom_apps <= 1 {
            return apps / window;
        }
        let share = self.workspace_share.unwrap_or(0.8) * f64::from(self.workspace_per_window());
        apps.min(share) / window
    }

    /// The workspace's limit per window the sandbox enforces.
    pub fn workspace_per_window(&self) -> u32 {
        self.intercom_workspace_per_window.unwrap_or_else(|| {
            (u64::from(self.intercom_per_window) * 5)
                .div_ceil(2)
                .min(u64::from(u32::MAX)) as u32
        })
    }
}

/// Every scenario; `quick` shrinks them for a smoke run (same limits, fewer tickets).
pub fn scenarios(quick: bool) -> Vec<Scenario> {
    let size = |full: usize, small: usize| if quick { small } else { full };
    let base = Scenario {
        name: "",
        description: "",
        tickets: 0,
        departments: 3,
        intercom_per_window: UNBOUNDED,
        intercom_window_secs: 10,
        glassix_per_minute: UNBOUNDED,
        glassix_per_hour: UNBOUNDED,
        faults: FaultConfig::default(),
        concurrency: 8,
        intercom_apps: 1,
        intercom_workspace_per_window: None,
        workspace_share: None,
    };
    vec![
        Scenario {
            name: "intercom-10s",
            description: "Intercom-bound: 200 requests per 10-second window (20/s)",
            tickets: size(150, 20),
            intercom_per_window: 200,
            intercom_window_secs: 10,
            ..base.clone()
        },
        Scenario {
            name: "intercom-2s",
            description: "Intercom-bound: 40 requests per 2-second window (20/s)",
            tickets: size(150, 20),
            intercom_per_window: 40,
            intercom_window_secs: 2,
            ..base.clone()
        },
        Scenario {
            name: "intercom-3tokens",
            description: "Three Intercom apps of 200 per 10 s each, workspace 500 per 10 s \
                          (Intercom's 2.5 : 1), share 0.95: ≤ 47.5/s",
            tickets: size(150, 20),
            intercom_per_window: 200,
            intercom_window_secs: 10,
            intercom_apps: 3,
            intercom_workspace_per_window: Some(500),
            workspace_share: Some(0.95),
            ..base.clone()
        },
        Scenario {
            name: "glassix-growth-3dept",
            description: "Glassix-bound: Growth tier (120/min, 3,000/h per key), three departments",
            tickets: size(150, 30),
            departments: 3,
            glassix_per_minute: 120,
            glassix_per_hour: 3_000,
            ..base.clone()
        },
        Scenario {
            name: "unthrottled-1k",
            description: "No limit on either side: the tool's own speed",
            tickets: size(1_000, 100),
            ..base.clone()
        },
        Scenario {
            name: "unthrottled-10k",
            description: "No limit on either side, 10,000 tickets",
            tickets: size(10_000, 300),
            ..base.clone()
        },
        Scenario {
            name: "faults",
            description: "5xx (1 in 40 and 2 %), 429 bursts of 2 every 400, a lost write response every 30",
            tickets: size(200, 30),
            faults: FaultConfig {
                seed: 7,
                burst_429_every: 400,
                burst_429_len: 2,
                error_5xx_every: 40,
                error_5xx_rate: 0.02,
                lose_response_every_write: 30,
                ..FaultConfig::default()
            },
            ..base.clone()
        },
        Scenario {
            name: "faults-429-every-50",
            description: "The fault profile that stalled (#17): 429 bursts of 3 every 50 \
                          requests, 5xx (1 in 40 and 2 %), a lost write response every 30",
            tickets: size(200, 30),
            faults: FaultConfig {
                seed: 7,
                burst_429_every: 50,
                burst_429_len: 3,
                error_5xx_every: 40,
                error_5xx_rate: 0.02,
                lose_response_every_write: 30,
                ..FaultConfig::default()
            },
            ..base.clone()
        },
        Scenario {
            name: "tiny",
            description: "Smoke: 5 tickets, Intercom 20 per 1-second window",
            tickets: 5,
            intercom_per_window: 20,
            intercom_window_secs: 1,
            ..base
        },
    ]
}
