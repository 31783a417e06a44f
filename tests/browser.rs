//! End to end, in a real headless Chromium: a file is saved, the open page changes.
//!
//! - A saved stylesheet is applied from the message: the computed style changes, page state (a
//!   `window` marker) survives, no navigation happens, no frame is drawn unstyled, and the
//!   stylesheet is not fetched; it keeps its cascade position, its `media` and its unchanged
//!   `@import`s. One too big for the message is fetched again, as before.
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

/// How many times the page has requested a URL whose path is `path` since it loaded.
fn requests_for(page: &testkit::Page<'_>, path: &str) -> u64 {
    page.eval(&format!(
        "performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname === '{path}').length"
    ))
    .as_u64()
    .unwrap()
}

#[test]
fn a_saved_stylesheet_is_applied_from_the_message_without_a_request_reload_or_flash() {
    let site = run("basic");
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", site.url));
    ready(&page);
    let color = "getComputedStyle(document.body).color";
    assert_eq!(page.eval(color), "rgb(10, 20, 30)");
    let href = page.eval("document.querySelector('link[rel=stylesheet]').getAttribute('href')");
    let fetched = requests_for(&page, "/style.css");
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
    assert_eq!(
        requests_for(&page, "/style.css"),
        fetched,
        "the new text came in the message: the stylesheet was not fetched"
    );
    assert_eq!(
        page.eval("document.querySelectorAll('link[rel=stylesheet]').length"),
        1
    );
    assert_eq!(
        page.eval("document.querySelector('link[rel=stylesheet]').getAttribute('href')"),
        href,
        "the same <link> holds the new rules"
    );
    assert_eq!(
        page.eval("document.querySelector('link[rel=stylesheet]').sheet.cssRules[0].cssText"),
        "body { color: rgb(200, 0, 0); }",
        "code that reads link.sheet finds the new rules"
    );
}

#[test]
fn a_stylesheet_applied_in_place_keeps_its_cascade_position_media_and_unchanged_imports() {
    let site = run("basic");
    site.write(
        "pages/cascade.html",
        "<!doctype html><html><head>\
        <link rel=stylesheet href=\"/first.css\">\
        <link rel=stylesheet href=\"/second.css\">\
        <link rel=stylesheet media=\"(max-width: 1px)\" href=\"/narrow.css\">\
        </head><body><p id=p>text</p></body></html>",
    );
    site.write(
        "first.css",
        "@import \"base.css\";\np { color: rgb(1, 1, 1); }\n",
    );
    site.write("base.css", "p { border-top: 3px solid; }\n");
    site.write("second.css", "p { color: rgb(2, 2, 2); }\n");
    site.write("narrow.css", "p { background-color: rgb(3, 3, 3); }\n");
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/cascade", site.url));
    ready(&page);
    let style = |property: &str| {
        page.eval(&format!(
            "getComputedStyle(document.getElementById('p'))['{property}']"
        ))
    };
    assert_eq!(style("color"), "rgb(2, 2, 2)");
    let base_fetched = requests_for(&page, "/base.css");

    // First comes before second: its new colour still loses to second's.
    site.write(
        "first.css",
        "@import \"base.css\";\np { color: rgb(9, 9, 9); outline: 2px solid; }\n",
    );
    page.wait_for(
        "getComputedStyle(document.getElementById('p')).outlineWidth === '2px'",
        "first.css's new rules",
    );
    assert_eq!(
        style("color"),
        "rgb(2, 2, 2)",
        "second.css still wins: same cascade position"
    );
    assert_eq!(style("borderTopWidth"), "3px", "the @import still applies");
    assert_eq!(
        requests_for(&page, "/base.css"),
        base_fetched,
        "an unchanged @import is not fetched again"
    );

    // A stylesheet for narrow screens stays one.
    site.write("narrow.css", "p { background-color: rgb(4, 4, 4); }\n");
    page.wait_for(
        "document.querySelector('link[href=\"/narrow.css\"]').sheet.cssRules[0].cssText.includes('4, 4, 4')",
        "narrow.css's new rule",
    );
    assert_eq!(
        style("backgroundColor"),
        "rgba(0, 0, 0, 0)",
        "media is kept"
    );
    assert_eq!(page.eval("window.marker"), 42, "no reload");
}

#[test]
fn a_stylesheet_too_big_for_the_message_is_fetched_again() {
    let site = run("basic");
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", site.url));
    ready(&page);
    let padding = format!("/* {} */\n", "x".repeat(300 * 1024));
    site.write(
        "style.css",
        &format!("{padding}body {{ color: rgb(200, 0, 0); }}\n"),
    );
    page.wait_for(
        "getComputedStyle(document.body).color === 'rgb(200, 0, 0)'",
        "the new colour",
    );
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
    assert_eq!(page.eval("window.marker"), 42, "the page was not reloaded");
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
