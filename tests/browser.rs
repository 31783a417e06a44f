//! End to end, in a real headless Chromium: a file is saved, the open page changes.
//!
//! - A linked stylesheet is swapped in place: the computed style changes, page state (a
//!   `window` marker) survives, no navigation happens, and no frame is drawn unstyled.
//! - A page template is saved: the page shows the new text without reloading (the morph
//!   itself has its own file, `morph.rs`).
//! - A static `.html` file is saved: only the tab showing it reloads.
//! - A template breaks: the error overlay appears over the page; fixing it removes the overlay.
//! - Eight tabs share one hub connection (through a SharedWorker), so none is starved by the
//!   browser's six-connections-per-origin limit, and all of them get every update.

mod util;
use testkit::Browser;
use util::run;

/// Waits until the page's runtime has said hello to the hub, then marks the window.
fn ready(page: &testkit::Page<'_>) {
    page.wait_for(
        "window.__hotplate && window.__hotplate.boot",
        "the runtime to connect",
    );
    page.eval("window.marker = 42");
}

#[test]
fn a_linked_stylesheet_is_swapped_without_reload_or_flash() {
    let site = run("basic");
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", site.url));
    ready(&page);
    let color = "getComputedStyle(document.body).color";
    assert_eq!(page.eval(color), "rgb(10, 20, 30)");
    // Record the body colour on every frame while the swap happens.
    page.eval(&format!(
        "window.seen = new Set(); (function sample() {{ seen.add({color}); requestAnimationFrame(sample); }})(); true"
    ));

    site.write("style.css", "body { color: rgb(200, 0, 0); }\n");

    page.wait_for(&format!("{color} === 'rgb(200, 0, 0)'"), "the new colour");
    assert_eq!(page.eval("window.marker"), 42, "the page was not reloaded");
    let seen = page.eval("[...window.seen]");
    for colour in seen.as_array().unwrap() {
        assert!(
            colour == "rgb(10, 20, 30)" || colour == "rgb(200, 0, 0)",
            "a frame was drawn without the stylesheet: {seen}"
        );
    }
    page.wait_for(
        "document.querySelectorAll('link[rel=stylesheet]').length === 1",
        "the old link to be removed",
    );
    let href = page.eval("document.querySelector('link[rel=stylesheet]').getAttribute('href')");
    let href = href.as_str().unwrap();
    assert!(
        href.contains("t=") && href.contains(&format!("v={}", site.app.settings.version)),
        "{href}"
    );
}

#[test]
fn a_saved_page_shows_the_new_text_without_reloading() {
    let site = run("basic");
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/about", site.url));
    ready(&page);
    site.write(
        "pages/about.html",
        "{% extends \"layouts/base.html\" %}{% block body %}<h1 id=\"title\">About, revised</h1>{% endblock %}",
    );
    page.wait_for(
        "document.getElementById('title').textContent === 'About, revised'",
        "the revised page",
    );
    assert_eq!(page.eval("window.marker"), 42, "a morph, not a reload");
}

#[test]
fn a_static_html_file_reloads_only_the_tab_showing_it() {
    let site = run("basic");
    let browser = Browser::launch();
    let docs = browser.open(&format!("{}/docs/", site.url));
    let home = browser.open(&format!("{}/", site.url));
    ready(&docs);
    ready(&home);
    site.write(
        "docs/index.html",
        "<!doctype html><html><head><title>docs</title></head><body><h1 id=\"title\">Docs, revised</h1></body></html>",
    );
    docs.wait_for(
        "document.getElementById('title').textContent === 'Docs, revised'",
        "the docs tab to reload",
    );
    // The home tab got the same reload message and ignored it; a later message proves it has
    // processed everything before.
    site.app
        .live
        .hub
        .publish(hotplate::testing::base::Message::Custom {
            event: "probe".into(),
            data: serde_json::json!(1),
        });
    home.eval("window.probed = false; addEventListener('hotplate:probe', () => { window.probed = true; }); true");
    site.app
        .live
        .hub
        .publish(hotplate::testing::base::Message::Custom {
            event: "probe".into(),
            data: serde_json::json!(2),
        });
    home.wait_for("window.probed", "the home tab to receive the probe");
    assert_eq!(
        home.eval("window.marker"),
        42,
        "the home tab did not reload"
    );
}

#[test]
fn a_broken_template_shows_the_overlay_until_it_is_fixed() {
    let site = run("basic");
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", site.url));
    ready(&page);
    let good = site.read("partials/nav.html");
    site.write("partials/nav.html", "<nav>\n{% for %}\n</nav>\n");

    let text = page.wait_for_overlay();
    assert!(text.contains("partials/nav.html:2"), "{text}");
    assert!(text.contains("syntax error"), "{text}");
    assert!(text.contains("{% for %}"), "the code frame: {text}");
    assert_eq!(
        page.eval("window.marker"),
        42,
        "the last good page stays under the overlay"
    );

    site.write("partials/nav.html", &good);
    page.wait_for(
        "!document.querySelector('hotplate-error-overlay') && window.__hotplate.morphs === 1",
        "the overlay to go and the page to update",
    );
    assert_eq!(
        page.eval("document.getElementById('title').textContent"),
        "Home"
    );
    assert_eq!(page.eval("window.marker"), 42, "a morph, not a reload");
}

#[test]
fn eight_tabs_share_one_connection_and_all_update() {
    let site = run("basic");
    let browser = Browser::launch();
    let pages: Vec<_> = (0..8)
        .map(|i| browser.open(&format!("{}/blog/post-{i}", site.url)))
        .collect();
    for page in &pages {
        ready(page);
        assert_eq!(page.eval("window.__hotplate.transport"), "shared-worker");
    }
    assert_eq!(
        site.app.live.hub.clients(),
        1,
        "one event stream for the whole browser"
    );
    site.write("style.css", "body { color: rgb(0, 128, 0); }\n");
    for page in &pages {
        page.wait_for(
            "getComputedStyle(document.body).color === 'rgb(0, 128, 0)'",
            "every tab to swap",
        );
        assert_eq!(page.eval("window.marker"), 42);
    }
}
