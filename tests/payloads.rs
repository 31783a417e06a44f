//! Updates that carry their payload, end to end in a real headless Chromium: a template save
//! reaches the page in the `html` message itself, as a patch from the render the page was
//! served; the page applies it without a request, keeping what the user was doing.
//!
//! - A saved partial patches the page: no request for the page, and typed input, focus, the
//!   caret and a `<details>` the user opened survive; the page's render stamp moves on.
//! - Ten tabs on one route: all take the same patch, and none asks the server for the page.
//! - A tab whose page is not the render the patch starts from (it missed a message) fetches
//!   its page instead, and morphs.
//! - A patch whose element is not where it says (a script moved things) changes nothing and
//!   the page is fetched instead.
//! - A save that changes only the title patches the title.
//! - A module update's `import()`s are answered from memory: the pipeline rewrote the stamped
//!   modules before the message left (their answers say so in `Server-Timing`).

mod util;
use hotplate::testing::base::{Message, PagePatch, PatchOp};
use testkit::{Browser, Page};
use util::Running;

/// A site whose `/` page includes a partial, with a form, a `<details>` and a list.
fn site() -> Running {
    let dir = testkit::site(&[
        (
            "pages/index.html",
            "<!doctype html><html><head><meta charset=utf-8><title>home</title></head><body>\
             <h1 id=title>Home</h1>\
             <form><input id=field><details id=more><summary>more</summary><p>inside</p></details></form>\
             <ul id=list>{% for i in range(40) %}{% include \"partials/row.html\" %}{% endfor %}</ul>\
             <p id=note>{% include \"partials/note.html\" %}</p>\
             </body></html>",
        ),
        ("partials/row.html", "<li>row {{ i }}</li>"),
        ("partials/note.html", "note v1"),
    ]);
    util::run_dir(dir, |_| {})
}

fn open<'b>(browser: &'b Browser, site: &Running, route: &str) -> Page<'b> {
    let page = browser.open(&format!("{}{route}", site.url));
    page.wait_for(
        "window.__hotplate && window.__hotplate.boot",
        "the runtime to connect",
    );
    page.eval("window.marker = 42; true");
    page
}

/// How many times the page fetched its own URL (`/`) since it loaded.
fn page_fetches(page: &Page) -> u64 {
    page.eval(
        "performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname === '/').length",
    )
    .as_u64()
    .unwrap()
}

fn counts(page: &Page) -> (u64, u64) {
    let state = page.eval("[window.__hotplate.morphs, window.__hotplate.patches]");
    (state[0].as_u64().unwrap(), state[1].as_u64().unwrap())
}

#[test]
fn a_saved_partial_patches_the_page_without_a_request_and_keeps_input_focus_and_open_details() {
    let site = site();
    let browser = Browser::launch();
    let page = open(&browser, &site, "/");
    let stamp = page.eval("window.__hotplate.render");
    assert!(stamp.as_str().is_some_and(|s| s.len() == 16), "{stamp}");
    page.eval(
        "const field = document.getElementById('field'); field.focus(); \
         field.value = 'typed'; field.setSelectionRange(1, 3); \
         document.getElementById('more').open = true; true",
    );

    site.write("partials/note.html", "note v2");

    page.wait_for(
        "document.getElementById('note').textContent === 'note v2'",
        "the patched note",
    );
    assert_eq!(
        counts(&page),
        (1, 1),
        "one morph, and it came in the message"
    );
    assert_eq!(page_fetches(&page), 0, "the page was not fetched");
    assert_eq!(page.eval("window.marker"), 42, "no reload");
    assert_eq!(page.eval("document.getElementById('field').value"), "typed");
    assert_eq!(page.eval("document.activeElement.id"), "field");
    assert_eq!(
        page.eval("[document.activeElement.selectionStart, document.activeElement.selectionEnd]"),
        serde_json::json!([1, 3])
    );
    assert_eq!(page.eval("document.getElementById('more').open"), true);
    assert_ne!(
        page.eval("window.__hotplate.render"),
        stamp,
        "the stamp moved on"
    );

    // A second save patches from the render the first one made.
    site.write("partials/note.html", "note v3");
    page.wait_for(
        "document.getElementById('note').textContent === 'note v3'",
        "the second patch",
    );
    assert_eq!(counts(&page), (2, 2));
    assert_eq!(page_fetches(&page), 0);
}

#[test]
fn ten_tabs_on_one_route_take_the_same_patch_and_none_fetches_the_page() {
    let site = site();
    let browser = Browser::launch();
    let tabs: Vec<Page> = (0..10).map(|_| open(&browser, &site, "/")).collect();

    site.write("partials/row.html", "<li class=changed>row {{ i }}</li>");

    for tab in &tabs {
        tab.wait_for(
            "document.querySelectorAll('#list li.changed').length === 40",
            "every row patched",
        );
        assert_eq!(counts(tab), (1, 1));
        assert_eq!(page_fetches(tab), 0, "no tab asked the server for the page");
    }
}

#[test]
fn a_tab_that_missed_a_message_fetches_its_page_instead() {
    let site = site();
    let browser = Browser::launch();
    let page = open(&browser, &site, "/");
    // A patch that starts from another render than this tab shows.
    site.app.live.hub.publish(Message::Html {
        routes: vec!["/".into()],
        timestamp: 1,
        patches: vec![PagePatch {
            route: "/".into(),
            from: "0000000000000000".into(),
            to: "1111111111111111".into(),
            ops: vec![PatchOp::Title {
                text: "wrong".into(),
            }],
        }],
    });
    page.wait_for("window.__hotplate.morphs === 1", "the morph");
    assert_eq!(
        counts(&page),
        (1, 0),
        "a morph of the fetched page, not the patch"
    );
    assert_eq!(page_fetches(&page), 1);
    assert_eq!(page.eval("document.title"), "home");
    assert_eq!(page.eval("window.marker"), 42, "no reload");
}

#[test]
fn a_patch_whose_element_is_not_where_it_says_changes_nothing_and_the_page_is_fetched() {
    let site = site();
    let browser = Browser::launch();
    let page = open(&browser, &site, "/");
    // A script put an element before the list: the list's path now leads elsewhere.
    page.eval(
        "document.body.insertBefore(document.createElement('aside'), document.getElementById('list')); true",
    );
    site.write("partials/row.html", "<li class=changed>row {{ i }}</li>");
    page.wait_for(
        "document.querySelectorAll('#list li.changed').length === 40",
        "the rows, from the fetched page",
    );
    assert_eq!(counts(&page), (1, 0));
    assert_eq!(page_fetches(&page), 1);
}

#[test]
fn a_title_save_patches_the_title() {
    let site = site();
    let browser = Browser::launch();
    let page = open(&browser, &site, "/");
    site.edit(
        "pages/index.html",
        "<title>home</title>",
        "<title>home, renamed</title>",
    );
    page.wait_for("document.title === 'home, renamed'", "the new title");
    assert_eq!(counts(&page), (1, 1));
    assert_eq!(page_fetches(&page), 0);
}

#[test]
fn a_module_updates_imports_are_answered_from_memory() {
    let dir = testkit::site(&[
        (
            "index.html",
            "<!doctype html><html><head><script type=module src=/app.js></script></head>\
             <body><p id=out></p></body></html>",
        ),
        (
            "app.js",
            "import { text } from './dep.js';\n\
             document.getElementById('out').textContent = text;\n\
             import.meta.hot.accept();\n",
        ),
        ("dep.js", "export const text = 'v1';\n"),
    ]);
    let site = util::run_dir(dir, |_| {});
    let browser = Browser::launch();
    let page = open(&browser, &site, "/");
    page.wait_for("document.getElementById('out').textContent === 'v1'", "v1");

    site.write("dep.js", "export const text = 'v2';\n");

    page.wait_for("document.getElementById('out').textContent === 'v2'", "v2");
    let timings = page.eval(
        "performance.getEntriesByType('resource')\
           .filter((e) => new URL(e.name).search.includes('t='))\
           .map((e) => [new URL(e.name).pathname, e.serverTiming.map((t) => t.name).join()])\
           .sort()",
    );
    assert_eq!(
        timings,
        serde_json::json!([["/app.js", "ready"], ["/dep.js", "ready"]]),
        "both re-imports were answered from memory"
    );
    assert_eq!(page.eval("window.marker"), 42, "no reload");
}
