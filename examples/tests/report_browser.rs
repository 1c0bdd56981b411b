//! `report.html` in a real browser: headless Chromium renders the page written after a blocked
//! migration of a workspace with hostile message bodies, a `verify --sample` (the verification
//! table and the side-by-side spot-check) and hostile text put in the ledger, dumps its DOM and
//! takes a screenshot. The tables, the charts' SVG and the side-by-side sample are there, and
//! the hostile text is text: no `<script>` or `<img>` element came from the data.
//!
//! `.ci/run` installs Debian's `chromium`. Without it, the test says it was skipped, unless
//! `CI=true`, where it fails.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, missing_docs)]

#[path = "../../tests/tests/common/mod.rs"]
mod common;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{Ctx, Options};

// `HOSTILE_MESSAGE` (support) is `<script>document.title='pwned-message'</script>`.

/// The browser, if installed.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

/// Runs the browser headless on `page` with `args`; returns stdout.
fn browse(browser: &Path, profile: &Path, page: &Path, args: &[&str]) -> String {
    let child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = support::wait(child, Duration::from_secs(90));
    assert_eq!(out.code, Some(0), "chromium failed:\n{}", out.dump());
    out.stdout
}

#[test]
fn report_html_renders_in_chromium_with_tables_charts_and_hostile_text_as_text() {
    let Some(browser) = chromium() else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("chromium is not installed, and CI=true: .ci/run installs it");
        }
        eprintln!("SKIPPED: chromium is not installed (apt-get install chromium); CI runs it");
        return;
    };
    let ctx = Ctx::new(Options {
        hostile_messages: true,
        ..Options::default()
    });
    ctx.prepare_spec(true, false);
    ctx.run(&["migrate"]).expect_code(3);
    ctx.run(&["verify", "--sample"]).expect_code(0);
    ctx.add_hostile_records();
    ctx.run(&["report"]).expect_code(0);
    let page = ctx.out("report.html");
    let profile = tempfile::tempdir().unwrap();

    let dom = browse(&browser, profile.path(), &page, &["--dump-dom"]);
    assert!(dom.contains("<html"), "a DOM came back:\n{dom:.400}");
    for table in ["reconciliation-table", "notes-table", "rebuild-table"] {
        assert!(
            dom.contains(&format!("<table id=\"{table}\"")),
            "table {table}"
        );
    }
    assert!(dom.matches("<tr").count() > 20, "the tables have rows");
    let svgs = dom.matches("<svg").count();
    assert!(svgs >= 3, "the charts are SVG elements ({svgs})");
    assert!(dom.matches("<rect").count() > 10, "the charts have bars");
    assert!(dom.contains("id=\"chart-outcomes\"") && dom.contains("id=\"chart-queue\""));
    for table in ["verification-summary", "verification-kinds"] {
        assert!(
            dom.contains(&format!("<table id=\"{table}\"")),
            "table {table}"
        );
    }
    let sides = dom.matches("<table class=\"side-by-side\"").count();
    assert!(
        sides >= 3,
        "the side-by-side sample is there ({sides} tickets)"
    );
    assert!(dom.contains("<th>Glassix</th><th>Intercom</th>"));
    // The hostile message, read again from Glassix and back from Intercom: text on both sides.
    let hostile = "&lt;script&gt;document.title='pwned-message'&lt;/script&gt;";
    assert!(
        dom.matches(hostile).count() >= 2,
        "the hostile message shows as text on both sides"
    );
    // Parsed by the browser, the hostile text is still text.
    assert!(!dom.contains("<script"), "no script element in the DOM");
    assert!(!dom.contains("<img"), "no img element in the DOM");
    assert!(dom.contains("&lt;script&gt;document.title='pwned-note'&lt;/script&gt;"));
    assert!(dom.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(dom.contains("&lt;script&gt;alert('pwned-queue')&lt;/script&gt;"));
    assert!(
        dom.contains("<title>Glassix → Intercom migration report</title>"),
        "the title was not changed by a script"
    );

    let shot = ctx.out("report.png");
    browse(
        &browser,
        profile.path(),
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,2400",
        ],
    );
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    assert!(
        png.len() > 20_000,
        "the page drew something ({} bytes)",
        png.len()
    );
    if let Some(dir) = std::env::var_os("REPORT_SCREENSHOT_DIR") {
        std::fs::copy(&shot, Path::new(&dir).join("report.png")).unwrap();
        std::fs::copy(&page, Path::new(&dir).join("report.html")).unwrap();
    }
}
