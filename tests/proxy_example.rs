//! `examples/proxy` end to end: a Python backend (standard library only) that hotplate runs
//! with `--exec`, in front of it on `127.0.0.1:0`, driven in headless Chromium.
//!
//! - A change to the backend's source restarts it; once it answers, the page morphs and keeps
//!   what was typed and where the focus was.
//! - A backend that crashes (a syntax error) shows the overlay with the tail of its output;
//!   the next good start clears it.
//! - A page opened while the backend is down waits, showing why, and becomes the real page
//!   once the backend answers.
//! - The backend's WebSocket and event stream work through hotplate, and the browser stays
//!   connected to hotplate across restarts.
//! - The answer to a form's POST is not fetched again on a change: it says why.
//! - The asset folder hotplate serves gets the site's updates: stylesheets swap, modules update
//!   at their `import.meta.hot` boundary.

mod util;

use hotplate::settings::{Proxy, default_restart_globs};
use std::path::Path;
use std::time::Duration;
use testkit::{Browser, Page};

/// The example, copied, with hotplate running `python3 app.py` behind it on a free port.
fn run() -> util::Running {
    let dir = testkit::copy_site(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/proxy"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    util::run_dir(dir, |settings| {
        let mut proxy = Proxy::to(&format!("http://127.0.0.1:{port}")).unwrap();
        proxy.exec = Some("python3 app.py".into());
        proxy.restart_on = default_restart_globs(&settings.root);
        proxy.patience = Duration::from_secs(20);
        settings.proxy_to(proxy, &[]).unwrap();
    })
}

/// Opens `/` once the runtime is connected, and types into the note field, which keeps focus.
fn open<'b>(browser: &'b Browser, site: &util::Running) -> Page<'b> {
    let page = browser.open(&format!("{}/", site.url));
    page.wait_for_runtime();
    page.eval(
        "window.marker = 7; const note = document.getElementById('note'); \
         note.value = 'typed'; note.focus(); true",
    );
    page
}

fn assert_state_kept(page: &Page) {
    assert_eq!(page.eval("window.marker"), 7, "the page reloaded");
    assert_eq!(page.eval("document.getElementById('note').value"), "typed");
    assert_eq!(page.eval("document.activeElement.id"), "note");
}

#[test]
fn a_source_change_restarts_the_backend_and_the_page_morphs_keeping_its_state() {
    let site = run();
    let browser = Browser::launch();
    let page = open(&browser, &site);
    site.edit(
        "app.py",
        r#"GREETING = "Hello from Python""#,
        r#"GREETING = "Hello, restarted""#,
    );
    page.wait_for(
        "document.getElementById('greeting').textContent === 'Hello, restarted'",
        "the page to morph into the restarted backend's",
    );
    assert_state_kept(&page);
    // A template save morphs too, without a restart.
    site.edit("templates/index.html", "Add note", "Save note");
    page.wait_for(
        "document.querySelector('form button').textContent === 'Save note'",
        "the template change to morph",
    );
    assert_state_kept(&page);
}

#[test]
fn a_crash_shows_the_overlay_with_its_output_and_the_next_start_clears_it() {
    let site = run();
    let browser = Browser::launch();
    let page = open(&browser, &site);
    let source = site.read("app.py");
    site.write("app.py", &format!("{source}\nthis is not python(\n"));
    let shown = page.wait_for(
        "document.querySelector('hotplate-error-overlay')?.shadowRoot.textContent",
        "the overlay",
    );
    let shown = shown.as_str().unwrap();
    assert!(shown.contains("The backend is down"), "{shown}");
    assert!(shown.contains("SyntaxError"), "{shown}");
    site.write(
        "app.py",
        &source.replace("Hello from Python", "Hello after the fix"),
    );
    page.wait_for(
        "!document.querySelector('hotplate-error-overlay') && \
         document.getElementById('greeting').textContent === 'Hello after the fix'",
        "the overlay to clear and the page to morph",
    );
    assert_state_kept(&page);
}

#[test]
fn a_page_opened_while_the_backend_is_down_waits_for_it() {
    let site = run();
    let source = site.read("app.py");
    let browser = Browser::launch();
    // Up first, so the break below is a restart that fails.
    let page = open(&browser, &site);
    site.write(
        "app.py",
        &format!("raise SystemExit('no database')\n{source}"),
    );
    page.wait_for(
        "document.querySelector('hotplate-error-overlay')",
        "the overlay",
    );
    page.goto(&format!("{}/about", site.url));
    assert_eq!(
        page.eval("document.documentElement.hasAttribute('data-hotplate-waiting')"),
        true
    );
    let output = page.eval("document.getElementById('hotplate-backend-output').textContent");
    assert!(output.as_str().unwrap().contains("no database"), "{output}");
    page.wait_for_runtime();
    site.write("app.py", &source);
    page.wait_for(
        "!document.documentElement.hasAttribute('data-hotplate-waiting') && \
         document.getElementById('greeting').textContent === 'About'",
        "the waiting page to become the real one",
    );
}

#[test]
fn the_backends_websocket_and_event_stream_work_through_hotplate() {
    let site = run();
    let browser = Browser::launch();
    let page = open(&browser, &site);
    let echoed = page.eval(
        "new Promise((resolve, reject) => { \
           const ws = new WebSocket(`ws://${location.host}/ws`); \
           ws.onopen = () => ws.send('hi from the browser'); \
           ws.onmessage = (e) => { resolve(e.data); ws.close(); }; \
           ws.onerror = () => reject(new Error('websocket failed')); })",
    );
    assert_eq!(echoed, "echo: hi from the browser");
    let ticks = page.eval(
        "new Promise((resolve) => { const seen = []; const source = new EventSource('/events'); \
           source.onmessage = (e) => { seen.push(e.data); \
             if (seen.length === 2) { source.close(); resolve(seen); } }; })",
    );
    assert_eq!(ticks, serde_json::json!(["tick 0", "tick 1"]));
}

#[test]
fn the_answer_to_a_post_says_why_it_does_not_refresh() {
    let site = run();
    let browser = Browser::launch();
    let page = open(&browser, &site);
    // An empty note: the backend answers the POST with a page of its own (422).
    page.eval(
        "document.getElementById('note').value = ''; document.querySelector('form').submit(); true",
    );
    page.wait_for(
        "document.getElementById('greeting')?.textContent === 'Write a note first' && \
         window.__hotplate && window.__hotplate.boot",
        "the posted page",
    );
    site.edit("templates/index.html", "Add note", "Save note");
    let notice = page.wait_for(
        "document.querySelector('hotplate-notice')?.shadowRoot.textContent",
        "the notice",
    );
    assert!(
        notice.as_str().unwrap().contains("answer to a form"),
        "{notice}"
    );
    assert_eq!(
        page.eval("document.querySelector('form button').textContent"),
        "Add note",
        "the posted page was fetched again"
    );
    assert_eq!(page.eval("window.__hotplate.morphs"), 0);
}

#[test]
fn the_asset_folder_gets_stylesheet_swaps_and_module_updates() {
    let site = run();
    let browser = Browser::launch();
    let page = open(&browser, &site);
    // The module counts clicks and keeps the count across its own updates.
    page.eval("document.getElementById('counter').click(); document.getElementById('counter').click(); true");
    site.edit(
        "static/style.css",
        "color: #2a6f97;",
        "color: rgb(1, 2, 3);",
    );
    page.wait_for(
        "getComputedStyle(document.getElementById('greeting')).color === 'rgb(1, 2, 3)'",
        "the stylesheet to swap",
    );
    site.edit(
        "static/app.js",
        "button.textContent = String(count);",
        "button.textContent = `${count} (updated)`;",
    );
    page.wait_for(
        "document.getElementById('counter').textContent === '2 (updated)'",
        "the module to update, keeping its count",
    );
    assert_state_kept(&page);
}
