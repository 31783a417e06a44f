//! The apps `npm create vite` makes (create-vite 9.3.0's `react-ts` and `preact-ts`, in
//! `tests/fixtures/create-vite/`), unchanged, served with the packages of the matching example
//! (`examples/react-ts`, `examples/preact-ts`), in headless Chromium.
//!
//! Each renders, counts, and keeps its count when `App.tsx` is saved (Fast Refresh, as Vite's
//! plugins do), without a reload; a save of its stylesheet applies in place.

mod util;
use std::path::Path;
use testkit::{Browser, Page};
use util::{Running, run_dir};

/// The template `name`, with `node_modules` copied from `examples/<name>`, served.
fn template(name: &str) -> Running {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let packages = manifest.join("examples").join(name).join("node_modules");
    assert!(
        packages.is_dir(),
        "run `npm ci` in examples/{name} first (scripts/test does)"
    );
    let copy = testkit::copy_site(&manifest.join("tests/fixtures/create-vite").join(name));
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(&packages)
        .arg(copy.path().join("node_modules"))
        .status()
        .unwrap();
    assert!(status.success());
    let _ = std::fs::remove_dir_all(copy.path().join("node_modules/.hotplate"));
    run_dir(copy, |_| {})
}

const BUTTON: &str = "document.querySelector('button.counter')";

fn open<'b>(browser: &'b Browser, site: &Running) -> Page<'b> {
    let page = browser.open(&format!("{}/", site.url));
    page.wait_for_runtime();
    page.wait_for(
        &format!("{BUTTON}?.textContent === 'Count is 0'"),
        "the app to render",
    );
    page.eval("window.marker = 42; true");
    page
}

fn counts_and_keeps_the_count_across_saves(name: &str, app: &str, css: &str) {
    let site = template(name);
    let browser = Browser::launch();
    let page = open(&browser, &site);
    page.eval(&format!("{BUTTON}.click(); {BUTTON}.click(); true"));
    page.wait_for(
        &format!("{BUTTON}.textContent === 'Count is 2'"),
        "the count",
    );

    site.edit(
        app,
        "<h1>Get started</h1>",
        "<h1>Started with hotplate</h1>",
    );
    page.wait_for(
        "document.querySelector('h1')?.textContent === 'Started with hotplate'",
        "the saved component to render",
    );
    assert_eq!(page.eval(&format!("{BUTTON}.textContent")), "Count is 2");
    assert_eq!(page.eval("window.marker"), 42, "the page reloaded");

    site.edit(
        css,
        ".counter {",
        ".counter {\n  outline: 3px solid rgb(1, 2, 3);",
    );
    page.wait_for(
        &format!("getComputedStyle({BUTTON}).outlineColor === 'rgb(1, 2, 3)'"),
        "the stylesheet to apply",
    );
    assert_eq!(page.eval(&format!("{BUTTON}.textContent")), "Count is 2");
    assert_eq!(page.eval("window.marker"), 42, "the page reloaded");
}

#[test]
fn create_vites_react_ts_app_keeps_its_count_when_app_tsx_is_saved() {
    counts_and_keeps_the_count_across_saves("react-ts", "src/App.tsx", "src/App.css");
}

#[test]
fn create_vites_preact_ts_app_keeps_its_count_when_app_tsx_is_saved() {
    counts_and_keeps_the_count_across_saves("preact-ts", "src/app.tsx", "src/app.css");
}
