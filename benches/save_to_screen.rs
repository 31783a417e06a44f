//! Save to screen, in real headless Chromium, on `examples/site`.
//!
//! Run: `cargo bench --bench save_to_screen` (add `-- 30` for 30 edits per scenario).
//!
//! For each scenario the file is written from this process, and the page records, with
//! `performance.timeOrigin + performance.now()` (the same wall clock), when the change was
//! applied and when the next frame after it ran. The figures are those instants minus the
//! moment before the write; medians and p90 over the edits, after two warm-up edits.
//!
//! - `css`: `main.css` is saved; applied = the runtime's `hotplate:applied` mark (the new
//!   rules put into the page's sheet from the message), with the new colour computed.
//! - `js`: `greeting.js` is saved; `app.js` accepts it, so applied = the moment its accept
//!   callback has put the new greeting in the page (seen by a `MutationObserver`).
//! - `ts`: `src/greet.ts` of the `typescript` test fixture is saved; its `main.ts` accepts it
//!   (as `./greet`, resolved), so applied = the new greeting in the page, as for `js`.
//! - `partial, patched`: `partials/nav.html` is saved while `/about` is open; the server
//!   renders `/about` again and pushes the patch, which the page applies; applied = the moment the new nav text is in the page
//!   (seen by a `MutationObserver`).
//! - `small reload`: `public/plain.html`, a small static page with one stylesheet and no
//!   scripts of its own, is saved; applied = `DOMContentLoaded` of the reloaded page (DESIGN's
//!   "full reload on a small page"). Templates no longer reload, so this is the reload left.
//!
//! - `big page`: a generated page of 1,250 list rows (a link, a label and an input each: 5,000
//!   elements) rendered through a partial: the page's `<h1>` is saved, then one line of the
//!   partial (every row changes). Applied = the new text in the page; it also prints the size of
//!   the `html` message (the patch) against the page's, and whether typed input was kept.
//!
//! Each scenario that has them also prints where the time went (medians), from the runtime's
//! performance marks (`client/marks.js`): the watcher (save → its first event), the pipeline
//! (→ the message handed to the hub), the hub and the stream (→ the SharedWorker), the
//! worker's hop (→ the tab), and the tab's apply.
//!
//! Then `examples/proxy`, its Python backend run by hotplate (`--proxy`, `--exec`):
//! - `proxied template morph`: `templates/index.html` is saved; the page fetches itself again
//!   through the proxy (the backend renders) and morphs; applied = the new heading in the page.
//! - `proxied restart, morph`: `app.py` is saved; the backend restarts, and once it answers
//!   the page morphs; applied = the new heading in the page.

mod common;
use common::report;
use serde_json::json;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use testkit::{Browser, Page};

const WARM_UP: usize = 2;

fn main() {
    let edits = common::count_arg(20);
    let site = testkit::copy_site(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/site"));
    let (url, _runtime) = common::serve(site.path());
    let browser = Browser::launch();

    println!("save to screen on examples/site, {edits} edits per scenario (ms; median / p90)");
    let css = css_swap(&browser, &url, site.path(), edits);
    report_all("css in place", &css);
    let js = js_update(&browser, &url, site.path(), edits);
    report_all("accepted js", &js);
    let typescript = testkit::copy_site(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/typescript"),
    );
    let (ts_url, _ts_runtime) = common::serve(typescript.path());
    let ts = ts_update(&browser, &ts_url, typescript.path(), edits);
    report_all("accepted ts", &ts);
    let morph = partial_morph(&browser, &url, site.path(), edits);
    report_all("partial, patched", &morph);
    big_page(&browser, edits);
    let page = ("/plain.html", "public/plain.html", "A static page");
    let reload = page_reload(&browser, &url, site.path(), edits, page);
    report(
        "small page reload, DOMContentLoaded",
        reload.iter().map(|s| s.applied).collect(),
    );
    report(
        "small page reload, next frame",
        reload.iter().map(|s| s.frame).collect(),
    );

    let backend = testkit::copy_site(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/proxy"));
    let (url, _proxy_runtime) = common::serve_proxy(backend.path(), "python3 app.py");
    let morph = proxied_edit(
        &browser,
        &url,
        backend.path(),
        edits,
        "templates/index.html",
    );
    report(
        "proxied template morph, applied",
        morph.iter().map(|s| s.applied).collect(),
    );
    let restart = proxied_edit(&browser, &url, backend.path(), edits.min(10), "app.py");
    report(
        "proxied restart, morph applied",
        restart.iter().map(|s| s.applied).collect(),
    );
}

/// (applied, next frame) for each edit of `file` of `examples/proxy` that changes the heading
/// `#greeting` of `/`: the template's text, or the backend's `GREETING`.
fn proxied_edit(
    browser: &Browser,
    url: &str,
    root: &Path,
    edits: usize,
    file: &str,
) -> Vec<Sample> {
    let page = browser.open(&format!("{url}/"));
    connected(&page);
    page.eval("window.__marker = 1");
    record_text_changes(&page, "__headings", "body", "#greeting");
    let path = root.join(file);
    let original = std::fs::read_to_string(&path).unwrap();
    let (from, to) = match file {
        "app.py" => ("GREETING = \"Hello from Python\"", "GREETING = \"{text}\""),
        _ => (
            "<h1 id=\"greeting\">{{ greeting }}</h1>",
            "<h1 id=\"greeting\">{text}</h1>",
        ),
    };
    assert!(original.contains(from), "{file} has {from} to edit");
    let samples = timed_edits(&page, edits, |i| {
        let text = format!("Edit {i} of {file}");
        std::fs::write(
            &path,
            original.replacen(from, &to.replace("{text}", &text), 1),
        )
        .unwrap();
        format!("__headings.find((h) => h.text === '{text}')")
    });
    std::fs::write(&path, &original).unwrap();
    assert_eq!(page.eval("window.__marker"), 1, "the page reloaded");
    page.close();
    samples
}

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        * 1000.0
}

fn connected(page: &Page<'_>) {
    page.wait_for(
        "window.__hotplate && window.__hotplate.boot",
        "the runtime to connect",
    );
}

/// One timed save: when the change was applied and when the next frame ran, and where the
/// time went, from the runtime's performance marks (`client/marks.js`), when it has them.
struct Sample {
    applied: f64,
    frame: f64,
    stages: Option<Stages>,
}

/// A save's time by stage, in ms: the watcher's (save → first event), the pipeline's (→ the
/// message handed to the hub), the hub's and the stream's (→ the SharedWorker), the worker's
/// hop (→ the tab), and the tab's (→ applied).
#[derive(Clone, Copy)]
struct Stages {
    watcher: f64,
    pipeline: f64,
    transport: f64,
    hop: f64,
    apply: f64,
}

/// Saves a file once per edit and times each save. `edit(i)` writes the file's new version and
/// returns a JS expression that finds the `{applied, frame}` record the page pushes when it
/// shows that version. The samples are those instants minus the moment before the write,
/// warm-up edits left out.
fn timed_edits(page: &Page<'_>, edits: usize, edit: impl Fn(usize) -> String) -> Vec<Sample> {
    let mut samples = Vec::new();
    for i in 0..edits + WARM_UP {
        std::thread::sleep(Duration::from_millis(150));
        page.eval("performance.clearMarks(); performance.clearMeasures(); true");
        let before = now_ms();
        let shown = edit(i);
        let seen = page.wait_for(&shown, "the edit to show");
        if i >= WARM_UP {
            samples.push(Sample {
                applied: seen["applied"].as_f64().unwrap() - before,
                frame: seen["frame"].as_f64().unwrap() - before,
                stages: stages(page, before),
            });
        }
    }
    samples
}

/// Where the time of the save made at `before` went, from the page's marks.
fn stages(page: &Page<'_>, before: f64) -> Option<Stages> {
    let marks = page.eval(
        "(() => {
           const last = (name) => performance.getEntriesByName(name).at(-1);
           const server = last('hotplate:server'), transport = last('hotplate:transport');
           const hop = last('hotplate:worker-hop'), applied = last('hotplate:applied');
           const received = performance.getEntriesByName('hotplate:received')
             .filter((m) => m.detail.type === server?.detail.type).at(-1);
           if (!server || !transport || !hop || !applied || !received) return null;
           return [performance.timeOrigin + server.startTime, server.duration, transport.duration,
                   hop.duration, applied.startTime - received.startTime];
         })()",
    );
    let stage = |i: usize| marks[i].as_f64();
    Some(Stages {
        watcher: stage(0)? - before,
        pipeline: stage(1)?,
        transport: stage(2)?,
        hop: stage(3)?,
        apply: stage(4)?,
    })
}

/// Prints the scenario's medians: applied, next frame, and the stages.
fn report_all(name: &str, samples: &[Sample]) {
    report(
        &format!("{name}, applied"),
        samples.iter().map(|s| s.applied).collect(),
    );
    report(
        &format!("{name}, next frame"),
        samples.iter().map(|s| s.frame).collect(),
    );
    let stages: Vec<Stages> = samples.iter().filter_map(|s| s.stages).collect();
    if stages.len() * 2 < samples.len() {
        return;
    }
    let median = |f: fn(&Stages) -> f64| common::median(&stages.iter().map(f).collect::<Vec<_>>());
    println!(
        "    stages (median ms): watcher {:.2}, pipeline {:.2}, hub and stream {:.2}, worker hop {:.2}, apply {:.2}",
        median(|s| s.watcher),
        median(|s| s.pipeline),
        median(|s| s.transport),
        median(|s| s.hop),
        median(|s| s.apply)
    );
}

/// Records in `window[list]` an `{applied, frame, text}` whenever the text of the element
/// `selector` changes.
fn record_text_changes(page: &Page<'_>, list: &str, observed: &str, selector: &str) {
    page.eval(&format!(
        "window.{list} = [];
         new MutationObserver(() => {{
           const applied = performance.timeOrigin + performance.now();
           const text = document.querySelector({selector:?}).textContent;
           requestAnimationFrame(() => {list}.push({{ applied, frame: performance.timeOrigin + performance.now(), text }}));
         }}).observe(document.querySelector({observed:?}), {{ childList: true, characterData: true, subtree: true }});
         true"
    ));
}

/// (applied, next frame) for each edit of `main.css`: applied is the runtime's
/// `hotplate:applied` mark (the rules put in place, or the swapped stylesheet loaded), with
/// the new colour computed.
fn css_swap(browser: &Browser, url: &str, root: &Path, edits: usize) -> Vec<Sample> {
    let page = browser.open(&format!("{url}/"));
    connected(&page);
    page.eval(
        "window.__swaps = [];
         new PerformanceObserver((list) => {
           for (const mark of list.getEntries()) {
             if (mark.name !== 'hotplate:applied' || !mark.detail.type.startsWith('css')) continue;
             const applied = performance.timeOrigin + mark.startTime;
             const color = getComputedStyle(document.querySelector('h1')).color;
             requestAnimationFrame(() => __swaps.push({ applied, frame: performance.timeOrigin + performance.now(), color }));
           }
         }).observe({ type: 'mark' }); true",
    );
    let path = root.join("main.css");
    let original = std::fs::read_to_string(&path).unwrap();
    let samples = timed_edits(&page, edits, |i| {
        let color = format!("rgb({}, 1, 2)", i + 1);
        std::fs::write(&path, format!("{original}\nh1 {{ color: {color}; }}\n")).unwrap();
        format!("__swaps.find((s) => s.color === '{color}')")
    });
    page.close();
    samples
}

/// (applied, next frame) for each edit of `greeting.js`, which `app.js` accepts.
fn js_update(browser: &Browser, url: &str, root: &Path, edits: usize) -> Vec<Sample> {
    let page = browser.open(&format!("{url}/"));
    connected(&page);
    record_text_changes(&page, "__greetings", "#module-says", "#module-says");
    let path = root.join("greeting.js");
    let samples = timed_edits(&page, edits, |i| {
        let text = format!("greeting {i}");
        std::fs::write(&path, format!("export const greeting = '{text}';\n")).unwrap();
        format!("__greetings.find((g) => g.text === '{text}')")
    });
    page.close();
    samples
}

/// (applied, next frame) for each edit of `src/greet.ts` of the `typescript` fixture, which
/// `main.ts` accepts (as `./greet`): compiled, resolved and re-imported like the JS above.
fn ts_update(browser: &Browser, url: &str, root: &Path, edits: usize) -> Vec<Sample> {
    let page = browser.open(&format!("{url}/"));
    connected(&page);
    record_text_changes(&page, "__greetings", "#out", "#out");
    let path = root.join("src/greet.ts");
    let samples = timed_edits(&page, edits, |i| {
        std::fs::write(
            &path,
            format!(
                "export function greet(who: string): string {{\n  return `edit {i} ${{who}}`;\n}}\n"
            ),
        )
        .unwrap();
        format!("__greetings.find((g) => g.text === 'edit {i} typescript')")
    });
    page.close();
    samples
}

/// (applied, next frame) for each edit of `partials/nav.html`, seen on `/about`.
fn partial_morph(browser: &Browser, url: &str, root: &Path, edits: usize) -> Vec<Sample> {
    let page = browser.open(&format!("{url}/about"));
    connected(&page);
    page.eval("window.__marker = 1");
    record_text_changes(&page, "__navs", "body", "nav a[href='/about']");
    let path = root.join("partials/nav.html");
    let original = std::fs::read_to_string(&path).unwrap();
    assert!(
        original.contains(">About</a>"),
        "partials/nav.html has an About link to edit"
    );
    let samples = timed_edits(&page, edits, |i| {
        let text = format!("About, edit {i}");
        std::fs::write(
            &path,
            original.replacen(">About</a>", &format!(">{text}</a>"), 1),
        )
        .unwrap();
        format!("__navs.find((n) => n.text === '{text}')")
    });
    assert_eq!(page.eval("window.__marker"), 1, "the page reloaded");
    page.close();
    samples
}

/// The big-page scenarios: a heading save and a partial save on a 5,000-element page.
fn big_page(browser: &Browser, edits: usize) {
    let site = testkit::site(&[
        (
            "pages/index.html",
            "<!doctype html><html><head><meta charset=utf-8><title>big</title></head><body>\n\
             <h1 id=title>Rows</h1>\n<ul id=list>\n\
             {% for i in range(1250) %}{% include \"partials/row.html\" %}{% endfor %}\n\
             </ul>\n</body></html>\n",
        ),
        (
            "partials/row.html",
            "<li>\n  <a href=\"#row-{{ i }}\">row {{ i }}</a>\n  <span class=label>label</span>\n  <input name=\"q{{ i }}\">\n</li>\n",
        ),
    ]);
    let (url, _runtime) = common::serve(site.path());
    let page = browser.open(&format!("{url}/"));
    connected(&page);
    page.eval("window.__marker = 1; document.querySelector('input').value = 'typed'; true");
    record_text_changes(&page, "__titles", "body", "#title");
    record_text_changes(&page, "__labels", "#list", "li:last-child .label");
    let page_bytes = page.eval("document.documentElement.outerHTML.length");
    let heading = timed_edits(&page, edits, |i| {
        let text = format!("Rows, edit {i}");
        common::replace_between(
            site.path(),
            "pages/index.html",
            "<h1 id=title>",
            "</h1>",
            &text,
        );
        format!("__titles.find((t) => t.text === '{text}')")
    });
    let heading_patch = last_html_bytes(&page);
    report_all("big page, heading patched", &heading);
    let partial = timed_edits(&page, edits, |i| {
        let text = format!("label {i}");
        common::replace_between(
            site.path(),
            "partials/row.html",
            "<span class=label>",
            "</span>",
            &text,
        );
        format!("__labels.find((t) => t.text === '{text}')")
    });
    let partial_patch = last_html_bytes(&page);
    report_all("big page, partial patched", &partial);
    println!(
        "    page {page_bytes} bytes; the html message: {heading_patch} bytes for the heading, \
         {partial_patch} for the partial; input kept: {}, reloaded: {}",
        page.eval("document.querySelector('input').value === 'typed'"),
        page.eval("window.__marker !== 1"),
    );
    page.close();
}

/// The size of the last `html` message the page received.
fn last_html_bytes(page: &Page<'_>) -> serde_json::Value {
    page.eval(
        "performance.getEntriesByName('hotplate:received').filter((m) => m.detail.type === 'html').at(-1)?.detail.bytes ?? null",
    )
}

/// (DOMContentLoaded, next frame) for each edit of `file` (shown at `route`), which changes
/// its `<h1>heading</h1>`.
fn page_reload(
    browser: &Browser,
    url: &str,
    root: &Path,
    edits: usize,
    (route, file, heading): (&str, &str, &str),
) -> Vec<Sample> {
    let page = browser.open(&format!("{url}{route}"));
    page.call("Page.enable", json!({}));
    page.call(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": "addEventListener('DOMContentLoaded', () => {
            window.__shown = performance.timeOrigin + performance.now();
            requestAnimationFrame(() => { window.__frame = performance.timeOrigin + performance.now(); });
        });" }),
    );
    connected(&page);
    let path = root.join(file);
    let original = std::fs::read_to_string(&path).unwrap();
    let mut samples = Vec::new();
    for i in 0..edits + WARM_UP {
        let title = format!("{heading}, edit {i}");
        let edited = original.replacen(
            &format!("<h1>{heading}</h1>"),
            &format!("<h1>{title}</h1>"),
            1,
        );
        assert_ne!(edited, original, "{file} has an <h1>{heading}</h1> to edit");
        std::thread::sleep(Duration::from_millis(150));
        let before = now_ms();
        std::fs::write(&path, edited).unwrap();
        let shown = page.wait_for(
            &format!(
                "document.querySelector('h1').textContent === '{title}' && window.__frame && window.__hotplate.boot && [window.__shown, window.__frame]"
            ),
            "the reloaded page",
        );
        if std::env::var_os("BENCH_DEBUG").is_some() {
            let nav = page.eval("JSON.stringify({origin: performance.timeOrigin, nav: performance.getEntriesByType('navigation')[0].toJSON(), res: performance.getEntriesByType('resource').map(r => [r.name, r.startTime|0, r.responseEnd|0])})");
            let nav: serde_json::Value = serde_json::from_str(nav.as_str().unwrap()).unwrap();
            eprintln!(
                "origin-before {:.1} nav {} res {}",
                nav["origin"].as_f64().unwrap() - before,
                [
                    "fetchStart",
                    "requestStart",
                    "responseStart",
                    "responseEnd",
                    "domInteractive",
                    "domContentLoadedEventStart"
                ]
                .iter()
                .map(|k| format!("{k}={:.1}", nav["nav"][k].as_f64().unwrap()))
                .collect::<Vec<_>>()
                .join(" "),
                nav["res"]
            );
        }
        if i >= WARM_UP {
            samples.push(Sample {
                applied: shown[0].as_f64().unwrap() - before,
                frame: shown[1].as_f64().unwrap() - before,
                stages: None,
            });
        }
    }
    samples
}
