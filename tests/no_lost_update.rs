//! No update is lost between serving a page and its runtime connecting, in a real Chromium.
//!
//! A page is served with the hub's newest message id (`<meta name=hotplate-since>`), and its
//! runtime connects from there: what was sent while it loaded is replayed.
//! - A static page saved twice in quick succession ends on the second version in every tab,
//!   though the second save lands while the tabs are still reloading from the first (and the
//!   SharedWorker they share dies with them).
//! - The same without a SharedWorker, each tab on its own event stream.
//! - A module with no boundary saved twice: the same.

mod util;
use testkit::{Browser, Page};
use util::{Running, run};

/// A page whose `load` comes 400 ms after it is served: long enough for a save to land before
/// its runtime connects.
fn slow_page(version: u32) -> String {
    format!(
        "<!doctype html><html><head><title>slow</title></head><body><p id=\"v\">{version}</p>\
         <script>const t = Date.now(); while (Date.now() - t < 400);</script></body></html>"
    )
}

fn connected(page: &Page<'_>) {
    page.wait_for(
        "window.__hotplate && window.__hotplate.boot",
        "the runtime to connect",
    );
}

fn shows(page: &Page<'_>, version: u32) {
    page.wait_for(
        &format!("document.getElementById('v')?.textContent === '{version}'"),
        &format!("version {version}"),
    );
}

/// Saves the slow page twice, the second time while the tabs reload from the first.
fn save_twice(site: &Running, pages: &[Page<'_>]) {
    site.write("public/slow.html", &slow_page(2));
    std::thread::sleep(std::time::Duration::from_millis(150));
    site.write("public/slow.html", &slow_page(3));
    for page in pages {
        shows(page, 3);
    }
}

#[test]
fn two_quick_saves_of_a_static_page_end_on_the_second_in_every_tab() {
    let site = run("basic");
    site.write("public/slow.html", &slow_page(1));
    let browser = Browser::launch();
    let pages: Vec<_> = (0..2)
        .map(|_| browser.open(&format!("{}/slow.html", site.url)))
        .collect();
    for page in &pages {
        connected(page);
        assert_eq!(page.eval("window.__hotplate.transport"), "shared-worker");
    }
    save_twice(&site, &pages);
}

#[test]
fn without_a_shared_worker_each_tab_resumes_on_its_own() {
    let site = run("basic");
    site.write("public/slow.html", &slow_page(1));
    let browser = Browser::launch();
    let page = browser.open("about:blank");
    page.call("Page.enable", serde_json::json!({}));
    page.call(
        "Page.addScriptToEvaluateOnNewDocument",
        serde_json::json!({ "source": "delete window.SharedWorker;" }),
    );
    page.goto(&format!("{}/slow.html", site.url));
    connected(&page);
    assert_eq!(page.eval("window.__hotplate.transport"), "event-source");
    save_twice(&site, std::slice::from_ref(&page));
}

#[test]
fn a_module_without_a_boundary_saved_twice_ends_on_the_second() {
    let site = run("basic");
    site.write(
        "public/slow.html",
        "<!doctype html><html><head><script type=\"module\" src=\"/version.js\"></script></head>\
         <body><p id=\"v\"></p><script>const t = Date.now(); while (Date.now() - t < 400);</script></body></html>",
    );
    let module = |v: u32| format!("document.getElementById('v').textContent = '{v}';\n");
    site.write("version.js", &module(1));
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/slow.html", site.url));
    connected(&page);
    shows(&page, 1);
    site.write("version.js", &module(2));
    std::thread::sleep(std::time::Duration::from_millis(150));
    site.write("version.js", &module(3));
    shows(&page, 3);
}
