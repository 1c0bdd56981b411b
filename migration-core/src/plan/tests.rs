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
