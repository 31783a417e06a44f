//! hotplate against Vite on `examples/react-ts`, in one run, in real headless Chromium.
//!
//! Run: `cargo bench --bench vs_vite` (add `-- 10` for 10 rounds and edits; default 5 and 20).
//! It installs Vite with npm into its own copy of the example (`npm install vite@8`), and runs
//! `npm ci` in `examples/react-ts` first if it has no `node_modules`.
//!
//! - **Cold start to first render**: from starting the server (hotplate in this process, Vite
//!   as `node vite.js`) to the app's button in the page, with each one's dependency cache
//!   deleted first (`node_modules/.hotplate`, `node_modules/.vite`): both convert React's
//!   CommonJS build on that first load. Rounds alternate between the two.
//! - **React component save to screen (Fast Refresh)**: the counter is clicked three times,
//!   then `src/App.tsx` is saved (its greeting changes) and re-rendered in place, by
//!   hotplate's Fast Refresh and by `@vitejs/plugin-react`'s; applied = the new greeting in the
//!   page, seen by a `MutationObserver`, minus the moment before the write. Edits alternate
//!   between the two, after two warm-up edits each. At the end, each page must still show the
//!   count (state kept) and not have reloaded.
//!
//! The ratio is hotplate's median over Vite's.

mod common;
use common::{free_port, median, now_ms, report, start_vite, stop};
use std::path::Path;
use std::time::{Duration, Instant};
use testkit::{Browser, Page};

const VITE: &str = "vite@8";
const WARM_UP: usize = 2;

fn main() {
    let counts: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rounds = counts.first().copied().unwrap_or(5);
    let edits = counts.get(1).copied().unwrap_or(20);
    let (ours, theirs, vite_version) = common::react_ts_and_vite(VITE);
    let browser = Browser::launch();

    println!("cold start to first render of examples/react-ts, {rounds} rounds (ms; median / p90)");
    let (mut hot, mut vite) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        hot.push(cold_start_hotplate(&browser, ours.path()));
        vite.push(cold_start_vite(&browser, theirs.path()));
    }
    report("hotplate", hot.clone());
    report(&format!("vite {vite_version}"), vite.clone());
    println!(
        "  ratio hotplate / vite (medians)        {:.2}",
        median(&hot) / median(&vite)
    );

    println!(
        "React component save to screen (Fast Refresh): src/App.tsx, {edits} edits (ms; median / p90)"
    );
    let (url, _runtime) = common::serve(ours.path());
    let ours_page = open_app(&browser, &url);
    let port = free_port();
    let server = start_vite(theirs.path(), port);
    let theirs_page = open_app(&browser, &format!("http://127.0.0.1:{port}"));
    for page in [&ours_page, &theirs_page] {
        page.eval(
            "for (let i = 0; i < 3; i++) document.getElementById('count').click(); window.marker = 1; true",
        );
        page.wait_for(
            "document.getElementById('count').textContent === 'count is 3'",
            "the count",
        );
    }
    let (mut hot, mut vite) = (Vec::new(), Vec::new());
    for i in 0..edits + WARM_UP {
        let ours_ms = timed_edit(&ours_page, ours.path(), &format!("hotplate {i}"));
        let theirs_ms = timed_edit(&theirs_page, theirs.path(), &format!("vite {i}"));
        if i >= WARM_UP {
            hot.push(ours_ms);
            vite.push(theirs_ms);
        }
    }
    let kept = |page: &Page<'_>| {
        page.eval(
            "document.getElementById('count').textContent === 'count is 3' && window.marker === 1",
        ) == true
    };
    let (ours_kept, theirs_kept) = (kept(&ours_page), kept(&theirs_page));
    stop(server);
    report("hotplate", hot.clone());
    report(&format!("vite {vite_version}"), vite.clone());
    println!(
        "  ratio hotplate / vite (medians)        {:.2}",
        median(&hot) / median(&vite)
    );
    println!("  state kept: hotplate {ours_kept}, vite {theirs_kept}");
}

/// Opens the app and waits for it to render its button.
fn open_app<'b>(browser: &'b Browser, url: &str) -> Page<'b> {
    let page = browser.open(&format!("{url}/"));
    page.wait_for("!!document.getElementById('count')", "the app to render");
    page
}

fn cold_start_hotplate(browser: &Browser, root: &Path) -> f64 {
    let _ = std::fs::remove_dir_all(root.join("node_modules/.hotplate"));
    let started = Instant::now();
    let (url, runtime) = common::serve(root);
    let page = open_app(browser, &url);
    let took = started.elapsed().as_secs_f64() * 1000.0;
    page.close();
    runtime.shutdown_timeout(Duration::from_secs(1));
    took
}

fn cold_start_vite(browser: &Browser, root: &Path) -> f64 {
    let _ = std::fs::remove_dir_all(root.join("node_modules/.vite"));
    let port = free_port();
    let started = Instant::now();
    let server = start_vite(root, port);
    let page = open_app(browser, &format!("http://127.0.0.1:{port}"));
    let took = started.elapsed().as_secs_f64() * 1000.0;
    page.close();
    stop(server);
    took
}

/// Saves `src/App.tsx` with the greeting `text` and returns the milliseconds until the page
/// shows it.
fn timed_edit(page: &Page<'_>, root: &Path, text: &str) -> f64 {
    page.eval(
        "window.__seen = window.__seen || [];
         if (!window.__observing) {
           window.__observing = true;
           new MutationObserver(() => {
             const at = performance.timeOrigin + performance.now();
             const greeting = document.getElementById('greeting');
             if (greeting) __seen.push({ at, text: greeting.textContent });
           }).observe(document.getElementById('root'), { childList: true, characterData: true, subtree: true });
         }
         true",
    );
    std::thread::sleep(Duration::from_millis(150));
    let path = root.join("src/App.tsx");
    let source = std::fs::read_to_string(&path).unwrap();
    let start = source
        .find("'Hello!'")
        .or_else(|| source.find("'Hello, edit"))
        .unwrap();
    let end = start + source[start + 1..].find('\'').unwrap() + 2;
    let before = now_ms();
    std::fs::write(
        &path,
        format!("{}'Hello, edit {text}'{}", &source[..start], &source[end..]),
    )
    .unwrap();
    let seen = page.wait_for(
        &format!("__seen.find((s) => s.text === 'Hello, edit {text}')"),
        "the edit to show",
    );
    seen["at"].as_f64().unwrap() - before
}
