//! Planner ordering, cycle detection and estimate figures.

use super::*;
use crate::Error;

fn ids(plan: &Plan) -> Vec<&str> {
    plan.steps().iter().map(|s| s.id.as_str()).collect()
}

fn pos(plan: &Plan, id: &str) -> usize {
    plan.steps().iter().position(|s| s.id == id).unwrap()
}

#[test]
fn standard_steps_respect_every_dependency() {
    let plan = Plan::new(standard_steps()).unwrap();
    for s in plan.steps() {
        for d in &s.depends_on {
            assert!(
                pos(&plan, d) < pos(&plan, &s.id),
                "{d} must precede {}",
                s.id
            );
        }
    }
    assert_eq!(ids(&plan)[0], "preflight");
    assert!(pos(&plan, "ticket_type_attributes") < pos(&plan, "tickets"));
    assert!(pos(&plan, "contacts") < pos(&plan, "tickets"));
    assert!(pos(&plan, "collections") < pos(&plan, "articles"));
}

#[test]
fn order_is_deterministic_and_keeps_declaration_order_among_ready_steps() {
    // Declared out of order: c depends on a; b is independent.
    let steps = vec![
        Step::new("c", "").after(["a"]),
        Step::new("b", ""),
        Step::new("a", ""),
    ];
    let plan = Plan::new(steps).unwrap();
    assert_eq!(ids(&plan), ["b", "a", "c"]);
}

#[test]
fn cycles_are_reported_step_by_step() {
    let steps = vec![
        Step::new("tags", ""),
        Step::new("a", "").after(["c", "tags"]),
        Step::new("b", "").after(["a"]),
        Step::new("c", "").after(["b"]),
    ];
    let err = Plan::new(steps).unwrap_err();
    let Error::PlanCycle { cycle } = &err else {
        panic!("expected a cycle, got {err}")
    };
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4);
    for id in ["a", "b", "c"] {
        assert!(cycle.contains(&id.to_owned()));
    }
    // Execution direction: each step is followed by one that depends on it.
    assert!(err.to_string().contains("a → b → c → a"), "{err}");
    let self_loop = Plan::new(vec![Step::new("x", "").after(["x"])]).unwrap_err();
    assert!(self_loop.to_string().contains("x → x"), "{self_loop}");
}

#[test]
fn unknown_and_duplicate_steps_are_errors() {
    let e = Plan::new(vec![Step::new("a", "").after(["ghost"])]).unwrap_err();
    assert!(
        matches!(&e, Error::PlanUnknownDependency { step, missing } if step == "a" && missing == "ghost")
    );
    let e = Plan::new(vec![Step::new("a", ""), Step::new("a", "")]).unwrap_err();
    assert!(matches!(e, Error::PlanDuplicateStep(ref s) if s == "a"));
}

#[test]
fn estimate_figures_follow_the_formula() {
    let limits = RateLimits {
        intercom_per_window: 100.0,
        intercom_window_seconds: 10.0,
        intercom_utilisation: 1.0,
        glassix_per_minute: Some(60.0),
        glassix_per_hour: Some(1800.0), // does not bind under 1,800 calls: 1 req/s
        ..RateLimits::default()
    };
    let mut b = Step::new("b", "second")
        .after(["a"])
        .records(50, 2.0, 10.0)
        .fixed(0, 5);
    b.department = Some("d2".into());
    let plan = Plan::new(vec![b, Step::new("a", "first").records(100, 1.0, 2.0)]).unwrap();
    let r = plan.report(&limits).unwrap();
    assert_eq!(r.steps[0].id, "a");
    assert_eq!(r.steps[0].glassix_calls, 100);
    assert_eq!(r.steps[0].intercom_calls, 200);
    assert!((r.steps[0].glassix_seconds - 100.0).abs() < 1e-9);
    assert!((r.steps[0].intercom_seconds - 20.0).abs() < 1e-9);
    assert_eq!(r.steps[1].intercom_calls, 505);
    assert!((r.steps[1].intercom_seconds - 50.5).abs() < 1e-9);
    let t = &r.totals;
    assert_eq!(
        (t.records, t.glassix_calls, t.intercom_calls),
        (150, 200, 705)
    );
    assert!((t.intercom_seconds - 70.5).abs() < 1e-9);
    // Two departments read in parallel: the busiest one bounds the Glassix side.
    assert!((t.glassix_seconds - 100.0).abs() < 1e-9);
    assert!((t.estimated_seconds - 100.0).abs() < 1e-9);
    assert!((t.sequential_upper_bound_seconds - 200.0).abs() < 1e-9);
    assert_eq!(t.bound_by, "glassix");
}

#[test]
fn the_hourly_quota_binds_only_past_its_count() {
    let limits = RateLimits {
        glassix_per_minute: Some(60.0),
        glassix_per_hour: Some(1800.0),
        ..RateLimits::default()
    };
    let secs = |calls: f64| limits.glassix_seconds(calls).unwrap();
    assert!(
        (secs(1800.0) - 1800.0).abs() < 1e-9,
        "within the hour: minute pace"
    );
    // 4,000 calls: 1,800 in hour one, 1,800 in hour two, 400 at the minute pace in hour three.
    assert!((secs(4000.0) - (7200.0 + 400.0)).abs() < 1e-9);
    let hour_only = RateLimits {
        glassix_per_minute: None,
        ..limits.clone()
    };
    assert!((hour_only.glassix_seconds(900.0).unwrap() - 1800.0).abs() < 1e-9);
}

#[test]
fn default_limits_make_a_write_bound_migration_intercom_bound() {
    let mut steps = standard_steps();
    for s in &mut steps {
        if s.id == "tickets" {
            *s = s.clone().records(100_000, 1.0, 8.0);
        }
    }
    let limits = RateLimits {
        glassix_per_minute: Some(6000.0),
        ..RateLimits::default()
    };
    let r = Plan::new(steps).unwrap().report(&limits).unwrap();
    // 800,008 calls at 1666/10 s × 0.98 ≈ 163.27 req/s ≈ 4,900 s.
    let expected = 800_008.0 / (1666.0 / 10.0 * 0.98);
    assert!((r.totals.estimated_seconds - expected).abs() < 1e-6);
    assert_eq!(r.totals.bound_by, "intercom");
}

#[test]
fn invalid_limits_are_rejected() {
    let plan = Plan::new(standard_steps()).unwrap();
    let no_glassix = RateLimits {
        glassix_per_minute: None,
        glassix_per_hour: None,
        ..RateLimits::default()
    };
    assert!(matches!(
        plan.report(&no_glassix),
        Err(Error::InvalidRateLimit(_))
    ));
    let zero = RateLimits {
        intercom_per_window: 0.0,
        ..RateLimits::default()
    };
    assert!(plan.report(&zero).is_err());
}

#[test]
fn report_renders_as_json_and_markdown() {
    let plan = Plan::new(vec![
        Step::new("contacts", "Contacts").records(10, 1.0, 2.0),
        Step::new("tickets", "Tickets")
            .after(["contacts"])
            .records(5, 1.0, 4.0),
    ])
    .unwrap();
    let r = plan.report(&RateLimits::default()).unwrap();
    let json: serde_json::Value = serde_json::from_str(&r.to_json().unwrap()).unwrap();
    assert_eq!(json["steps"][1]["id"], "tickets");
    assert_eq!(json["totals"]["intercom_calls"], 40);
    let md = r.to_markdown();
    assert!(
        md.contains("| 2 | tickets | contacts | 5 | 5 | 20 |"),
        "{md}"
    );
    assert!(md.contains("**Total**"));
    assert!(md.contains("Formula:"));
    assert_eq!(human_duration(3725.0), "1 h 02 min 05 s");
    assert_eq!(human_duration(61.2), "1 min 02 s");
    assert_eq!(human_duration(0.0), "0 s");
}

/// A plan of the standard steps with `tickets` tickets of `parts_per_ticket` Intercom calls,
/// and a workload of `departments` (discover calls, migrate tickets-phase list pages).
fn modelled(
    tickets: u64,
    intercom_per_ticket: f64,
    departments: &[(u64, u64)],
    seconds_per_request: Option<f64>,
) -> Plan {
    let mut steps = standard_steps();
    for s in &mut steps {
        if s.id == "tickets" {
            *s = s.clone().records(tickets, 0.0, intercom_per_ticket);
        }
    }
    let departments = departments
        .iter()
        .enumerate()
        .map(|(i, &(discover, pages))| DepartmentLoad {
            department: format!("d{i}"),
            discover_calls: discover,
            migrate: GlassixCalls {
                list_pages: pages,
                users: 1,
                tokens: 1,
                ..GlassixCalls::default()
            },
            ..DepartmentLoad::default()
        })
        .collect();
    Plan::new(steps).unwrap().with_workload(Workload {
        departments,
        discover_intercom_calls: 5,
        discover_measured_seconds: Some(1.0),
        seconds_per_request,
        measured_concurrency: 12,
        migrate_concurrency: 8,
        longest_chain_requests: 0,
        ..Workload::default()
    })
}

fn limits(per_minute: f64, per_hour: f64, intercom_per_s: f64) -> RateLimits {
    RateLimits {
        intercom_per_window: intercom_per_s * 10.0,
        intercom_window_seconds: 10.0,
        intercom_utilisation: 1.0,
        glassix_per_minute: Some(per_minute),
        glassix_per_hour: Some(per_hour),
        ..RateLimits::default()
    }
}

#[test]
fn departments_are_paced_side_by_side_over_the_whole_job() {
    // Three keys at 60/min: 100 + 20 + 1 = 121, 40 + 20 + 1 = 61, 10 + 10 + 1 = 21 requests
    // on their quotas (the token is outside it).
    let plan = modelled(10, 1.0, &[(100, 20), (40, 20), (10, 10)], None);
    let r = plan.report(&limits(60.0, 100_000.0, 1000.0)).unwrap();
    let p = r.phases.as_ref().unwrap();
    let secs: Vec<f64> = p.departments.iter().map(|d| d.seconds).collect();
    // The client's sliding log, `migrate` continuing discovery's: 121 requests go in three
    // bursts, a minute and 250 ms apart (120.5 s); 61 in two (60.25 s); 21 in one (0 s).
    assert!((secs[0] - 120.5).abs() < 1e-9, "{secs:?}");
    assert!((secs[1] - 60.25).abs() < 1e-9, "{secs:?}");
    assert!(secs[2] < 1.0, "{secs:?}");
    // The slowest department, not the sum, and discovery's calls counted with it.
    assert!((p.glassix_seconds - 120.5).abs() < 1e-9);
    assert!((r.totals.estimated_seconds - 120.5).abs() < 1e-9);
    assert_eq!(r.totals.bound_by, "glassix");
    // The hourly quota applies too: at 100/h the 101st request waits for the first to be an
    // hour (and 250 ms) old.
    let r = plan.report(&limits(60.0, 100.0, 1000.0)).unwrap();
    assert!((r.totals.estimated_seconds - 3600.25).abs() < 1e-9);
    // The range: discovery and `migrate` on separate quota periods at the low end (100
    // requests: 60.25 s, then 21 at once), a pace lowered by a 429 (45/min: three bursts) at
    // the high end.
    let r = plan.report(&limits(60.0, 100_000.0, 1000.0)).unwrap();
    let range = &r.totals.range;
    assert!((range.low_seconds - 60.25).abs() < 1e-9, "{range:?}");
    assert!((range.high_seconds - 120.5).abs() < 1e-6, "{range:?}");
    assert!(
        r.caveats.iter().any(|c| c.contains("wider than")),
        "{:?}",
        r.caveats
    );
    assert!(range.high.contains("429"), "{range:?}");
}

#[test]
fn migrate_started_now_continues_the_minute_discovery_used() {
    // One key at 120/min; discovery sent 105 requests on it, `migrate` will send 20 list pages
    // and a user listing (21). The plan is made 10 s after discovery's burst.
    let dept = "00000000-0000-0000-0000-000000000001";
    let mut plan = modelled(10, 1.0, &[(105, 20)], None);
    let w = plan.workload().unwrap().clone();
    let mut departments = w.departments.clone();
    departments[0].department = dept.to_owned();
    plan = plan.with_workload(Workload { departments, ..w });
    let at_ms = 1_000_000;
    let usage: glassix_client::QuotaUsage = serde_json::from_value(serde_json::json!({
        "recorded_at_ms": at_ms - 9_000,
        "keys": [{ "department": dept, "sent_at_ms": vec![at_ms - 10_000; 105] }],
    }))
    .unwrap();
    let l = limits(120.0, 3000.0, 1000.0);
    // Without the usage the plan says nothing about "now".
    assert!(
        plan.report(&l)
            .unwrap()
            .phases
            .unwrap()
            .migrate_now
            .is_none()
    );
    let now = plan
        .clone()
        .starting(StartState { usage, at_ms })
        .report(&l)
        .unwrap();
    let n = now.phases.as_ref().unwrap().migrate_now.clone().unwrap();
    // 15 of the minute's 120 are left: the 16th waits for discovery's first request to be a
    // minute (and 250 ms) old, 50.25 s from now.
    assert!((n.glassix_seconds - 50.25).abs() < 1e-9, "{n:?}");
    assert!((n.seconds - 50.25).abs() < 1e-9, "{n:?}");
    // On a fresh quota period the 21 requests go at once: the Intercom side binds.
    let serial_and_tickets = (8.0 + 10.0) / 1000.0;
    assert!((n.fresh_seconds - serial_and_tickets).abs() < 1e-9, "{n:?}");
    assert!(n.at.starts_with("1970-01-01T00:16:40"), "{n:?}");
    let md = now.to_markdown();
    assert!(md.contains("If `migrate` starts now"), "{md}");
    // A key the usage does not name starts afresh.
    let other: glassix_client::QuotaUsage = serde_json::from_value(serde_json::json!({
        "recorded_at_ms": at_ms,
        "keys": [{ "department": "00000000-0000-0000-0000-000000000002",
                   "sent_at_ms": vec![at_ms; 120] }],
    }))
    .unwrap();
    let n = plan
        .starting(StartState {
            usage: other,
            at_ms,
        })
        .report(&l)
        .unwrap()
        .phases
        .unwrap()
        .migrate_now
        .unwrap();
    assert!(n.glassix_seconds < 1e-9, "{n:?}");
}

#[test]
fn intercom_bound_runs_add_discovery_and_the_serial_steps_to_the_tickets_phase() {
    let mut plan = modelled(100, 10.0, &[(5, 1)], None);
    plan.step_mut("tags").unwrap().intercom_fixed = 50;
    // 10 Intercom requests a second: discover 5 → 0.5 s; preflight 8 + tags 50 → 5.8 s;
    // tickets 1,000 → 100 s.
    let r = plan.report(&limits(6000.0, 100_000.0, 10.0)).unwrap();
    let p = r.phases.as_ref().unwrap();
    assert!((p.discover_seconds - 0.5).abs() < 1e-9);
    assert!((p.serial_seconds - 5.8).abs() < 1e-9);
    assert!((p.tickets_intercom_seconds - 100.0).abs() < 1e-9);
    assert!((r.totals.estimated_seconds - 106.3).abs() < 1e-9);
    assert_eq!(r.totals.bound_by, "intercom");
    // No per-request cost measured: said, not hidden.
    assert!(
        r.caveats.iter().any(|c| c.contains("not measured")),
        "{:?}",
        r.caveats
    );
    assert!(r.totals.range.low_seconds <= r.totals.estimated_seconds);
    assert!(r.totals.range.high_seconds >= r.totals.estimated_seconds);
}

#[test]
fn without_a_binding_limit_the_measured_cost_per_request_bounds_the_run() {
    // 1 ms per request; 1,000 tickets × 3 Intercom calls + 2,000 list pages + 2 fixed Glassix
    // requests in the tickets phase … on a workspace no limit binds.
    let plan = modelled(1000, 3.0, &[(500, 2000)], Some(0.001));
    let r = plan
        .report(&limits(1_000_000.0, 10_000_000.0, 1_000_000.0))
        .unwrap();
    let p = r.phases.as_ref().unwrap();
    let tickets = p.tickets_tool_seconds.unwrap();
    let w = WRITE_COST_FACTOR;
    assert!((tickets - 5.0 * w).abs() < 1e-9, "{tickets}");
    assert_eq!(r.totals.bound_by, "tool");
    // discover: (5 + 500) × 1 ms (reads); serial: (8 Intercom + 2 Glassix) × 1 ms, and the
    // tickets phase, at the write factor.
    let expected = 0.505 + (0.010 + 5.0) * w;
    assert!((r.totals.estimated_seconds - expected).abs() < 1e-9);
    let range = &r.totals.range;
    let low = expected * TOOL_SPREAD_LOW;
    assert!((range.low_seconds - low).abs() < 1e-9, "{range:?}");
    assert!(
        range.high_seconds > expected * TOOL_SPREAD_HIGH,
        "{range:?}"
    );
    let unmeasured = "per-request cost was not measured";
    assert!(r.caveats.iter().all(|c| !c.contains(unmeasured)));
    let md = r.to_markdown();
    assert!(md.contains("Binding constraint: **round trips"), "{md}");
    assert!(md.contains("| `d0` | 500 | 2002 |"), "{md}");
}

#[test]
fn bucket_seconds_count_the_buckets_a_client_waits_for() {
    let l = limits(120.0, 3000.0, 10.0);
    let secs = |calls: f64, phase: f64| l.glassix_bucket_seconds(calls, phase).unwrap();
    assert_eq!(secs(120.0, 0.5), 0.0, "one burst");
    assert_eq!(secs(121.0, 0.0), 60.0);
    assert_eq!(secs(121.0, 0.5), 30.0);
    assert_eq!(secs(121.0, 1.0), 0.0);
    // Past the hourly quota: the next clock hour, then its minute buckets.
    assert_eq!(secs(3100.0, 0.0), 3600.0);
    assert_eq!(secs(3300.0, 0.5), 1800.0 + 120.0);
}

#[test]
fn several_tokens_multiply_the_rate_up_to_the_workspace_share() {
    // 20/s per token, 98 % used: 19.6/s. Three tokens: 58.8/s, above a workspace share of
    // 47.5/s, which caps them (spaced exactly, no margin).
    let one = RateLimits {
        intercom_per_window: 200.0,
        intercom_window_seconds: 10.0,
        ..limits(100_000.0, 1_000_000.0, 20.0)
    };
    let one = RateLimits {
        intercom_utilisation: 0.98,
        ..one
    };
    let three = RateLimits {
        intercom_tokens: 3,
        intercom_workspace_per_second: Some(47.5),
        ..one.clone()
    };
    assert!((one.intercom_rate().unwrap() - 19.6).abs() < 1e-9);
    assert!((three.intercom_rate().unwrap() - 47.5).abs() < 1e-9);
    assert!((three.intercom_token_rate().unwrap() - 19.6).abs() < 1e-9);
    let uncapped = RateLimits {
        intercom_workspace_per_second: Some(100.0),
        ..three.clone()
    };
    assert!((uncapped.intercom_rate().unwrap() - 58.8).abs() < 1e-9);
    let broken = RateLimits {
        intercom_workspace_per_second: Some(0.0),
        ..three.clone()
    };
    assert!(matches!(
        broken.intercom_rate(),
        Err(Error::InvalidRateLimit(_))
    ));

    // 100 tickets × 19 calls = 1,900 tickets-phase requests: 96.9 s on one token, 40 s on
    // three.
    let mut plan = modelled(100, 19.0, &[(5, 1)], None);
    let tickets = |r: &PlanReport| r.phases.as_ref().unwrap().tickets_intercom_seconds;
    let r1 = plan.report(&one).unwrap();
    let r3 = plan.report(&three).unwrap();
    assert!((tickets(&r1) - 1900.0 / 19.6).abs() < 1e-9);
    assert!((tickets(&r3) - 1900.0 / 47.5).abs() < 1e-9);
    assert_eq!(r3.totals.bound_by, "intercom");
    // Discovery (5 reads) and the preflight (8) at the same rate, before the tickets phase.
    let expected = (5.0 + 8.0 + 1900.0) / 47.5;
    assert!((r3.totals.estimated_seconds - expected).abs() < 1e-9);

    // One ticket of 1,000 requests (the generator's long conversation): they stay on one
    // token, in order, so the phase takes at least 1,000 / 19.6 s whatever the token count.
    let w = plan.workload().unwrap().clone();
    plan = plan.with_workload(Workload {
        longest_chain_requests: 1000,
        ..w
    });
    let r3 = plan.report(&three).unwrap();
    let p = r3.phases.as_ref().unwrap();
    assert!((p.longest_chain_seconds - 1000.0 / 19.6).abs() < 1e-9);
    let expected = (5.0 + 8.0) / 47.5 + 1000.0 / 19.6;
    assert!((r3.totals.estimated_seconds - expected).abs() < 1e-9);
    assert!(r3.to_markdown().contains("for the longest ticket"));
    // With a measured cost per request, the chain is also at least its requests, one round
    // trip each (the cost × the chain's latency factor): 1,000 × 0.01 s × 7 = 70 s, above the
    // token's 51 s.
    let w = plan.workload().unwrap().clone();
    plan = plan.with_workload(Workload {
        seconds_per_request: Some(0.01),
        ..w
    });
    let p = plan.report(&three).unwrap().phases.unwrap();
    assert!((p.longest_chain_seconds - 1000.0 * 0.01 * CHAIN_LATENCY_FACTOR).abs() < 1e-9);
}

#[test]
fn faults_discovery_met_are_carried_into_the_estimate() {
    // One key, no quota in reach, Intercom at 1,000/s: without faults the job is a few
    // hundredths of a second of rate arithmetic.
    let calm_plan = modelled(10, 1.0, &[(100, 20)], None);
    let lax = limits(1e6, 1e9, 1000.0);
    let calm = calm_plan.report(&lax).unwrap();
    let calm_phases = calm.phases.clone().unwrap();
    assert_eq!(calm_phases.retry_share, 0.0);
    assert_eq!(calm_phases.faulty_read_path_seconds, None);
    assert_ne!(calm.totals.bound_by, "faults");
    assert!(!calm.caveats.iter().any(|c| c.contains("sent again")));
    assert!(
        calm.caveats
            .iter()
            .any(|c| c.contains("retries are an assumption"))
    );

    // Discovery met faults: 5 of its 105 requests (100 Glassix, 5 Intercom) sent again,
    // 12.5 s of waits (2.5 s each); its scan of the key took 10 s for 100 requests.
    let mut w = calm_plan.workload().unwrap().clone();
    w.departments[0].discover_seconds = Some(10.0);
    w.departments[0].discover_retries = 5;
    w.discover_retries = 5;
    w.discover_retry_wait_seconds = 12.5;
    let faulty = calm_plan.clone().with_workload(w);
    let r = faulty.report(&lax).unwrap();
    let p = r.phases.clone().unwrap();
    let share = 5.0 / 105.0;
    assert!((p.retry_share - share).abs() < 1e-12);
    // The key's read path as discovery measured it: 20 list pages at 10 s / 100 requests.
    assert_eq!(p.faulty_read_path_seconds, Some(2.0));
    assert_eq!(r.totals.bound_by, "faults");
    // Discovery's cost could not be measured (`None`): its measured duration stands for it.
    assert_eq!(p.discover_seconds, 1.0);
    // The serial steps: each Intercom request waits share × 0.5 s (the client's first
    // backoff), the key's own two Glassix requests share × 2.5 s (discovery's mean wait).
    let serial_ic = calm_phases.serial_seconds * 1000.0;
    let expected_serial = calm_phases.serial_seconds + serial_ic * share * 0.5 + 2.0 * share * 2.5;
    assert!(
        (p.serial_seconds - expected_serial).abs() < 1e-9,
        "{} vs {expected_serial}",
        p.serial_seconds
    );
    let expected = 1.0 + expected_serial + 2.0;
    assert!((r.totals.estimated_seconds - expected).abs() < 1e-9);
    assert!(
        r.caveats
            .iter()
            .any(|c| c.contains("sent 5 of its requests again")),
        "{:?}",
        r.caveats
    );
    let md = r.to_markdown();
    assert!(
        md.contains("Faults carried from discovery: 4.8 % of its requests were sent again")
            && md.contains("the slowest key's read path under them 2 s"),
        "{md}"
    );
    assert!(!calm.to_markdown().contains("Faults carried"));
    // The measured faults replace the assumed ones at the high end, scaled like the tool's
    // cost (1.5 ×), and the caveat about the assumption goes.
    assert!(
        !r.caveats
            .iter()
            .any(|c| c.contains("retries are an assumption"))
    );
    assert!(
        r.totals.range.low.contains("the faults' waits 25 % below"),
        "{:?}",
        r.totals.range
    );
    assert!(
        r.totals.range.high.contains("measured in discovery"),
        "{:?}",
        r.totals.range
    );
    assert!(
        r.totals.range.high_seconds >= 1.0 + 1.5 * 2.0,
        "{:?}",
        r.totals.range
    );
    // 429s met in discovery (2 of the key's 100 requests): each Intercom request of the
    // tickets phase holds its token 2 % × 0.25 s (the client's first 429 wait), added up.
    let mut w = faulty.workload().unwrap().clone();
    w.departments[0].discover_rate_limited = 2;
    let limited = faulty.clone().with_workload(w).report(&lax).unwrap();
    let tickets_ic = 10.0;
    assert!(
        (limited.totals.estimated_seconds - (expected + tickets_ic * 0.02 * 0.25)).abs() < 1e-9,
        "{}",
        limited.totals.estimated_seconds
    );
    // The longest ticket's chain carries the Intercom share too: 1,000 requests × share ×
    // 0.5 s on top of its requests at one token's rate.
    let mut w = faulty.workload().unwrap().clone();
    w.longest_chain_requests = 1000;
    let p = faulty
        .with_workload(w)
        .report(&lax)
        .unwrap()
        .phases
        .unwrap();
    let chain = 1000.0 / 1000.0 + 1000.0 * share * 0.5;
    assert!(
        (p.longest_chain_seconds - chain).abs() < 1e-6,
        "{} vs {chain}",
        p.longest_chain_seconds
    );
}
