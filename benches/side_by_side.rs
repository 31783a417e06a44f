//! hotplate and Vite side by side on the same page, in one run, in real headless Chromium.
//!
//! Run: `cargo bench --bench side_by_side` (add `-- 15` for 15 edits per scenario; default
//! 20). It installs Vite with npm into a folder of its own (`npm install vite@8`).
//!
//! The page is one `index.html` (a static page to Vite, the root template to hotplate, which
//! renders it as it is) with a stylesheet and a module that accepts the module it imports, in
//! two sizes: a small page (10 list rows) and a big one (1,250 rows of a link, a label and an
//! input: 5,000 elements). For each size and each scenario, edits alternate between the two
//! servers, after two warm-up edits each:
//!
//! - **CSS**: `style.css` is saved; applied = hotplate's `hotplate:applied` mark, or the `load`
//!   of the stylesheet Vite swaps in, with the new colour computed.
//! - **accepted JS**: `greeting.js` is saved; `main.js` accepts it; applied = the new greeting
//!   in the page (a `MutationObserver`).
//! - **page**: the `<h1>` of `index.html` is saved; hotplate pushes a patch, Vite reloads the
//!   page; applied = the new heading in the page (a `MutationObserver`, or the reloaded page's
//!   `DOMContentLoaded`). Text typed into the first input before the edits is still there
//!   afterwards only where the page was not reloaded.
//!
//! Each figure is the moment applied minus the moment before the write; medians and p90, and
//! the ratio of hotplate's median to Vite's.

mod common;
use common::{free_port, median, now_ms, report, start_vite, stop};
use serde_json::json;
use std::path::Path;
use std::time::Duration;
use testkit::{Browser, Page};

const VITE: &str = "vite@8";
const WARM_UP: usize = 2;

fn main() {
    let edits = common::count_arg(20);
    let tools = tempfile::tempdir().unwrap();
    std::fs::write(tools.path().join("package.json"), "{\"private\": true}").unwrap();
    common::npm(
        tools.path(),
        &[
            "install",
            "--no-audit",
            "--no-fund",
            "--loglevel=error",
            VITE,
        ],
    );
    let version = common::installed_version(tools.path(), "vite");
    let browser = Browser::launch();
    for (size, rows) in [("small page", 10), ("big page, 5,000 elements", 1250)] {
        let ours = page_site(rows);
        let theirs = page_site(rows);
        std::os::unix::fs::symlink(
            tools.path().join("node_modules"),
            theirs.path().join("node_modules"),
        )
        .unwrap();
        let (url, _runtime) = common::serve(ours.path());
        let port = free_port();
        let server = start_vite(theirs.path(), port);
        let vite_url = format!("http://127.0.0.1:{port}");
        println!("{size}: hotplate against Vite {version}, {edits} edits each (ms; median / p90)");
        let sites = [(&url, ours.path()), (&vite_url, theirs.path())];
        let css = side_by_side(&browser, sites, edits, css_edit);
        compare("CSS", css);
        let js = side_by_side(&browser, sites, edits, js_edit);
        compare("accepted JS", js);
        let (pages, kept) = page_edits(&browser, sites, edits);
        compare("page save (hotplate patch, Vite reload)", pages);
        println!("  typed input kept: hotplate {}, vite {}", kept[0], kept[1]);
        stop(server);
    }
}

/// A site with `index.html` (a list of `rows` rows), `style.css`, `main.js` and the
/// `greeting.js` it accepts.
fn page_site(rows: usize) -> tempfile::TempDir {
    let list: String = (0..rows)
        .map(|i| {
            format!(
                "<li><a href=\"#row-{i}\">row {i}</a> <span>label {i}</span> <input name=\"q{i}\"></li>\n"
            )
        })
        .collect();
    testkit::site(&[
        (
            "index.html",
            &format!(
                "<!doctype html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n<title>side by side</title>\n\
                 <link rel=\"stylesheet\" href=\"/style.css\">\n\
                 <script type=\"module\" src=\"/main.js\"></script>\n</head>\n<body>\n\
                 <h1 id=\"title\">Heading</h1>\n<p id=\"greeting\"></p>\n<ul id=\"list\">\n{list}</ul>\n\
                 </body>\n</html>\n"
            ),
        ),
        ("style.css", "h1 { color: rgb(0, 1, 2); }\n"),
        (
            "main.js",
            "import { greeting } from './greeting.js';\n\
             const show = (text) => { document.getElementById('greeting').textContent = text; };\n\
             show(greeting);\n\
             if (import.meta.hot) import.meta.hot.accept('./greeting.js', (next) => show(next.greeting));\n",
        ),
        ("greeting.js", "export const greeting = 'hello';\n"),
    ])
}

/// One scenario's edit: writes edit `i` into the site at `root` and returns a JS expression
/// that finds the `{at}` record the page pushes when it shows it.
type Edit = fn(&Path, usize, &str) -> String;

/// Samples of `edit` on both servers, alternating; each page is opened afresh and watched by
/// the recorders.
fn side_by_side(
    browser: &Browser,
    sites: [(&String, &Path); 2],
    edits: usize,
    edit: Edit,
) -> [Vec<f64>; 2] {
    let pages: Vec<Page<'_>> = sites.iter().map(|(url, _)| open(browser, url)).collect();
    let samples = alternate(&pages, sites, edits, edit);
    for page in pages {
        page.close();
    }
    samples
}

/// Edit after edit, one on each server in turn: the milliseconds from the moment before each
/// write until the page showed it, warm-up edits left out.
fn alternate(
    pages: &[Page<'_>],
    sites: [(&String, &Path); 2],
    edits: usize,
    edit: Edit,
) -> [Vec<f64>; 2] {
    let mut samples = [Vec::new(), Vec::new()];
    for i in 0..edits + WARM_UP {
        for (which, ((_, root), page)) in sites.iter().zip(pages).enumerate() {
            std::thread::sleep(Duration::from_millis(150));
            let tag = format!("{which}-{i}");
            let before = now_ms();
            let find = edit(root, i, &tag);
            let seen = page.wait_for(&find, "the edit to show");
            if i >= WARM_UP {
                samples[which].push(seen["at"].as_f64().unwrap() - before);
            }
        }
    }
    samples
}

/// Opens `url`, waits for its runtime (hotplate's or Vite's) to connect, and starts the
/// recorders: `__colors` (a stylesheet applied), `__texts` (text in the page changed).
fn open<'b>(browser: &'b Browser, url: &str) -> Page<'b> {
    let page = browser.open(&format!("{url}/"));
    page.call("Page.enable", json!({}));
    page.call(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": RECORDERS }),
    );
    page.eval(RECORDERS);
    page.wait_for(
        "document.getElementById('greeting').textContent !== ''",
        "the module to run",
    );
    // Vite's client connects on its own; hotplate's says so.
    page.wait_for(
        "!window.__hotplate || !!window.__hotplate.boot",
        "the runtime to connect",
    );
    std::thread::sleep(Duration::from_millis(300));
    page
}

/// What each page records, from its start (and again after a reload): the moment a stylesheet
/// was applied, with the heading's colour then, and every text of the heading and greeting.
const RECORDERS: &str = "
  window.__colors = []; window.__texts = [];
  const now = () => performance.timeOrigin + performance.now();
  const color = (at) => __colors.push({ at, color: getComputedStyle(document.getElementById('title')).color });
  document.addEventListener('load', (event) => { if (event.target.tagName === 'LINK') color(now()); }, true);
  new PerformanceObserver((list) => {
    for (const mark of list.getEntries()) {
      if (mark.name === 'hotplate:applied' && mark.detail.type.startsWith('css')) color(performance.timeOrigin + mark.startTime);
    }
  }).observe({ type: 'mark' });
  const texts = () => {
    const at = now();
    for (const id of ['title', 'greeting']) {
      const element = document.getElementById(id);
      if (element) __texts.push({ at, id, text: element.textContent });
    }
  };
  const watch = () => {
    texts();
    new MutationObserver(texts).observe(document.body, { childList: true, characterData: true, subtree: true });
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', watch);
  else watch();
  true";

fn css_edit(root: &Path, i: usize, tag: &str) -> String {
    let (which, _) = tag.split_once('-').unwrap();
    let color = format!("rgb({}, {which}, 2)", i + 1);
    std::fs::write(
        root.join("style.css"),
        format!("h1 {{ color: {color}; }}\n"),
    )
    .unwrap();
    format!("__colors.find((c) => c.color === '{color}')")
}

fn js_edit(root: &Path, _: usize, tag: &str) -> String {
    std::fs::write(
        root.join("greeting.js"),
        format!("export const greeting = 'greeting {tag}';\n"),
    )
    .unwrap();
    format!("__texts.find((t) => t.id === 'greeting' && t.text === 'greeting {tag}')")
}

fn page_edit(root: &Path, _: usize, tag: &str) -> String {
    let heading = format!("Heading {tag}");
    common::replace_between(root, "index.html", "<h1 id=\"title\">", "</h1>", &heading);
    format!("__texts.find((t) => t.id === 'title' && t.text === '{heading}')")
}

/// The page scenario, with whether text typed into the first input survived every edit.
fn page_edits(
    browser: &Browser,
    sites: [(&String, &Path); 2],
    edits: usize,
) -> ([Vec<f64>; 2], [bool; 2]) {
    let pages: Vec<Page<'_>> = sites.iter().map(|(url, _)| open(browser, url)).collect();
    for page in &pages {
        page.eval("document.querySelector('input').value = 'typed'; true");
    }
    let samples = alternate(&pages, sites, edits, page_edit);
    let kept = [0, 1].map(|which| {
        // A reloaded page may still be loading its module: let it settle first.
        pages[which].wait_for("document.readyState === 'complete'", "the page to load");
        pages[which].eval("document.querySelector('input').value === 'typed'") == true
    });
    for page in pages {
        page.close();
    }
    (samples, kept)
}

fn compare(name: &str, [ours, theirs]: [Vec<f64>; 2]) {
    println!("  {name}");
    report("  hotplate", ours.clone());
    report("  vite", theirs.clone());
    println!(
        "    ratio hotplate / vite (medians)      {:.2}",
        median(&ours) / median(&theirs)
    );
}
