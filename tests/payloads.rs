//! Updates that carry their payload, end to end in a real headless Chromium: a template save
//! reaches the page in the `html` message itself, as a patch from the render the page was
//! served; the page applies it without a request, keeping what the user was doing.
//!
//! - A saved partial patches the page: no request for the page, and typed input, focus, the
//!   caret and a `<details>` the user opened survive; the page's render stamp moves on.
//! - Ten tabs on one route: all take the same patch, and none asks the server for the page.
//! - A tab whose page is not the render the patch starts from (it missed a message) fetches
//!   its page instead, and morphs.
//! - A patch whose element is not where it says (a script moved things, or added a row to a
//!   list) changes nothing and the page is fetched instead.
//! - A line of a partial every row includes reaches every row in the message (texts set in
//!   place), twice in a row, but the row marked `data-hotplate-keep`; typed input stays.
//! - A save that changes only the title patches the title.
//! - Where the time goes: the page's performance timeline has the server's part of a save
//!   (`hotplate:server`), the stream's, the worker's hop, and marks for the message received
//!   and the update applied; with `RUST_LOG=hotplate=debug`, the server logs its stages.
//! - A module update's `import()`s are answered from memory: the pipeline rewrote the stamped
//!   modules before the message left (their answers say so in `Server-Timing`).
//! - The module an update re-imports comes in the message: the page imports it with no
//!   request, its imports and URLs resolve as from its own URL, and a later import of that URL
//!   gets the same instance. A module that reads its own URL, or a page under a
//!   Content-Security-Policy, fetches it instead.

mod util;
use hotplate::testing::base::{Message, PagePatch, PatchOp};
use testkit::{Browser, Page};
use util::{Running, open};

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

    // New markup inside the open <details>: the element is sent and morphed, and it stays open.
    site.edit(
        "pages/index.html",
        "<p>inside</p>",
        "<p>inside</p><p id=added>more inside</p>",
    );
    page.wait_for("!!document.getElementById('added')", "the added paragraph");
    assert_eq!(counts(&page), (3, 3));
    assert_eq!(page_fetches(&page), 0);
    assert_eq!(page.eval("document.getElementById('more').open"), true);
    assert_eq!(page.eval("document.getElementById('field').value"), "typed");
    assert_eq!(page.eval("document.activeElement.id"), "field");
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
        timing: None,
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
fn a_line_of_a_partial_every_row_includes_reaches_every_row_as_texts_and_a_kept_row_stays() {
    let dir = testkit::site(&[
        (
            "pages/index.html",
            "<!doctype html><html><head><meta charset=utf-8><title>rows</title></head><body>\n\
             <h1>Rows</h1>\n<ul id=list>\n{% for i in range(60) %}{% include \"partials/row.html\" %}{% endfor %}</ul>\n\
             </body></html>",
        ),
        (
            "partials/row.html",
            "<li>\n  <a href=\"#row-{{ i }}\" class=row-link>row {{ i }}</a>\n  \
             <span class=label>label</span>\n  <input name=\"q{{ i }}\">\n</li>\n",
        ),
    ]);
    let site = util::run_dir(dir, |_| {});
    let browser = Browser::launch();
    let page = open(&browser, &site, "/");
    page.eval(
        "document.querySelectorAll('#list input')[3].value = 'typed';          document.querySelectorAll('#list li')[7].setAttribute('data-hotplate-keep', ''); true",
    );
    let labels = "[...document.querySelectorAll('#list .label')].map((l) => l.textContent)";
    for (save, label) in [(1, "tag"), (2, "a longer tag")] {
        site.edit(
            "partials/row.html",
            if save == 1 { ">label<" } else { ">tag<" },
            &format!(">{label}<"),
        );
        page.wait_for(
            &format!("{labels}[0] === '{label}'"),
            "the new label in the first row",
        );
        let shown = page.eval(labels);
        let shown: Vec<&str> = shown
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        assert_eq!(shown.len(), 60);
        for (row, text) in shown.iter().enumerate() {
            let expected = if row == 7 { "label" } else { label };
            assert_eq!(*text, expected, "row {row}, save {save}");
        }
        assert_eq!(counts(&page), (save, save), "patched from the message");
    }
    assert_eq!(page_fetches(&page), 0, "the page was not fetched");
    assert_eq!(
        page.eval("document.querySelectorAll('#list input')[3].value"),
        "typed"
    );
    // A script put a row like the others first: the rows are not where the op says, so the
    // page is fetched, and no row takes another's text.
    page.eval(
        "const extra = document.createElement('li'); \
         extra.innerHTML = '<a href=#mine>mine</a> <span class=label>mine</span> <input>'; \
         document.getElementById('list').prepend(extra); true",
    );
    site.edit("partials/row.html", ">a longer tag<", ">tag {{ i }}<");
    page.wait_for(
        "window.__hotplate.morphs === 3",
        "the fetched page, morphed",
    );
    assert_eq!(counts(&page), (3, 2), "fetched, not patched");
    for row in [0, 10, 59] {
        assert_eq!(
            page.eval(&format!(
                "[...document.querySelectorAll('#list li')]\
                 .find((li) => li.querySelector('a')?.textContent === 'row {row}')\
                 .querySelector('.label').textContent"
            )),
            format!("tag {row}").as_str()
        );
    }
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
fn a_text_patch_into_a_list_a_script_added_to_is_not_applied_to_the_wrong_row() {
    let site = site();
    let browser = Browser::launch();
    let page = open(&browser, &site, "/");
    // A script put a row first: the server's row 5 is the page's sixth.
    page.eval(
        "const extra = document.createElement('li'); extra.textContent = 'extra'; \
         document.getElementById('list').prepend(extra); true",
    );
    site.write(
        "partials/row.html",
        "<li>row {{ i }}{% if i == 5 %}, five{% endif %}</li>",
    );
    page.wait_for(
        "[...document.querySelectorAll('#list li')].some((li) => li.textContent === 'row 5, five')",
        "the changed row, from the fetched page",
    );
    assert_eq!(counts(&page), (1, 0), "fetched, not patched");
    assert!(
        page.eval("[...document.querySelectorAll('#list li')].every((li) => li.textContent !== 'row 4, five' && !(li.textContent === 'row 5, five' && li.previousElementSibling?.textContent !== 'row 4'))") == true,
        "no row got another row's text"
    );
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
        serde_json::json!([["/dep.js", "ready"]]),
        "the boundary came in the message, and what it imports anew was answered from memory"
    );
    assert_eq!(page.eval("window.marker"), 42, "no reload");
}

/// A site whose `/js/app.js` accepts itself, imports `../lib/dep.js` and names
/// `../img/logo.png` by its URL; it counts its runs and keeps each instance's marker.
const ACCEPTING: &[(&str, &str)] = &[
    (
        "index.html",
        "<!doctype html><html><head><script type=module src=/js/app.js></script></head>\
         <body><p id=out></p></body></html>",
    ),
    (
        "js/app.js",
        "import { text } from '../lib/dep.js';\n\
         export const instance = Math.random();\n\
         window.runs = (window.runs || 0) + 1;\n\
         window.instances = [...(window.instances || []), instance];\n\
         window.logo = new URL('../img/logo.png', import.meta.url).href;\n\
         document.getElementById('out').textContent = `${text} one`;\n\
         import.meta.hot.on('vite:beforeUpdate', (p) => { window.lastUpdate = p.updates[0]; });\n\
         import.meta.hot.accept();\n",
    ),
    ("lib/dep.js", "export const text = 'dep';\n"),
    ("img/logo.png", "not really a png"),
];

/// Requests the page made for `path` with a `?t=` query.
fn reimports(page: &Page, path: &str) -> u64 {
    page.eval(&format!(
        "performance.getEntriesByType('resource')\
           .filter((e) => new URL(e.name).pathname === {path:?} && new URL(e.name).search.includes('t=')).length"
    ))
    .as_u64()
    .unwrap()
}

/// Waits for `#out` to read `before`, saves `file` with `from` replaced by `to`, and waits for
/// `#out` to read `after`.
fn save_and_see(
    site: &Running,
    page: &Page,
    file: &str,
    (from, to): (&str, &str),
    (before, after): (&str, &str),
) {
    let out = |text: &str| format!("document.getElementById('out').textContent === {text:?}");
    page.wait_for(&out(before), before);
    site.edit(file, from, to);
    page.wait_for(&out(after), after);
}

#[test]
fn an_accepted_modules_code_comes_in_the_message_and_is_imported_with_no_request() {
    let site = util::run_dir(testkit::site(ACCEPTING), |_| {});
    let browser = Browser::launch();
    let page = open(&browser, &site, "/");

    save_and_see(
        &site,
        &page,
        "js/app.js",
        ("one`", "two`"),
        ("dep one", "dep two"),
    );

    assert_eq!(
        reimports(&page, "/js/app.js"),
        0,
        "no request for the module"
    );
    assert_eq!(page.eval("window.runs"), 2);
    assert_eq!(page.eval("window.marker"), 42, "no reload");
    // Its imports and its URLs resolve as from the module's own URL, on this page's origin.
    assert_eq!(
        page.eval("window.logo === location.origin + '/img/logo.png'"),
        true,
        "{}",
        page.eval("window.logo")
    );
    // Whoever imports the module's URL afterwards gets this very instance, with no request
    // and no second run, as from the server.
    assert_eq!(
        page.eval(
            "import(window.lastUpdate.acceptedPath + '?t=' + window.lastUpdate.timestamp)\
               .then((m) => m.instance === window.instances.at(-1))"
        ),
        true
    );
    assert_eq!(page.eval("window.runs"), 2);
    assert_eq!(reimports(&page, "/js/app.js"), 0);
    assert_eq!(
        page.eval("document.querySelectorAll('script[type=importmap]').length"),
        0,
        "the import map leaves nothing in the page"
    );
}

#[test]
fn a_module_that_reads_its_own_url_or_a_page_under_a_policy_fetches_it() {
    // A module that reads `import.meta.url` as it is: fetched, so that it reads its own URL.
    let reads_url = util::run_dir(
        testkit::site(&[
            (
                "index.html",
                "<!doctype html><html><head><script type=module src=/app.js></script></head>\
                 <body><p id=out></p></body></html>",
            ),
            (
                "app.js",
                "window.here = import.meta.url;\n\
                 document.getElementById('out').textContent = 'one';\n\
                 import.meta.hot.accept();\n",
            ),
        ]),
        |_| {},
    );
    let browser = Browser::launch();
    let page = open(&browser, &reads_url, "/");
    save_and_see(
        &reads_url,
        &page,
        "app.js",
        ("'one'", "'two'"),
        ("one", "two"),
    );
    assert_eq!(reimports(&page, "/app.js"), 1);
    assert_eq!(
        page.eval("new URL(window.here).pathname + new URL(window.here).search.slice(0, 3)"),
        "/app.js?t="
    );

    // A page under a Content-Security-Policy: no import map or `data:` script to refuse.
    let mut files = ACCEPTING.to_vec();
    files[0] = (
        "index.html",
        "<!doctype html><html><head>\
         <meta http-equiv=Content-Security-Policy content=\"script-src 'self'\">\
         <script type=module src=/js/app.js></script></head><body><p id=out></p></body></html>",
    );
    let site = util::run_dir(testkit::site(&files), |_| {});
    let page = open(&browser, &site, "/");
    page.eval(
        "window.violations = []; addEventListener('securitypolicyviolation', \
         (e) => window.violations.push(e.violatedDirective + ' ' + e.blockedURI)); true",
    );
    save_and_see(
        &site,
        &page,
        "js/app.js",
        ("one`", "two`"),
        ("dep one", "dep two"),
    );
    assert_eq!(reimports(&page, "/js/app.js"), 1, "fetched");
    assert_eq!(page.eval("window.violations"), serde_json::json!([]));
}

#[test]
fn the_pages_timeline_says_where_a_saves_time_went() {
    let site = site();
    site.write("pages/styled.html", "<!doctype html><html><head><link rel=stylesheet href=/s.css></head><body><p>x</p></body></html>");
    site.write("s.css", "p { color: rgb(1, 1, 1); }");
    let browser = Browser::launch();
    let page = open(&browser, &site, "/styled");
    let before = page
        .eval("performance.timeOrigin + performance.now()")
        .as_f64()
        .unwrap();

    site.write("s.css", "p { color: rgb(2, 2, 2); }");

    page.wait_for(
        "performance.getEntriesByName('hotplate:applied').some((m) => m.detail.type === 'css')",
        "the css applied mark",
    );
    let timeline = page.eval(
        "(() => {
           const one = (name) => performance.getEntriesByName(name).find((e) => e.detail.type === 'update');
           const applied = performance.getEntriesByName('hotplate:applied')[0];
           const [server, transport, hop, received] =
             ['hotplate:server', 'hotplate:transport', 'hotplate:worker-hop', 'hotplate:received'].map(one);
           return {
             noticed: performance.timeOrigin + server.startTime,
             server: server.duration, transport: transport.duration, hop: hop.duration,
             order: [server.startTime <= transport.startTime, transport.startTime <= received.startTime,
                     hop.startTime + hop.duration <= applied.startTime],
             applied: applied.detail,
           };
         })()",
    );
    assert_eq!(
        timeline["order"],
        serde_json::json!([true, true, true]),
        "{timeline}"
    );
    assert_eq!(
        timeline["applied"],
        serde_json::json!({"type": "css", "path": "/s.css"})
    );
    let noticed = timeline["noticed"].as_f64().unwrap();
    assert!(
        noticed >= before - 1.0,
        "the server noticed the save after it was made: {timeline}"
    );
    for stage in ["server", "transport", "hop"] {
        let ms = timeline[stage].as_f64().unwrap();
        assert!((0.0..5000.0).contains(&ms), "{stage}: {timeline}");
    }
}

#[test]
fn with_debug_logging_the_server_logs_the_stages_of_a_save() {
    use std::io::BufRead;
    let dir = testkit::site(&[("index.html", "<p>x</p>"), ("style.css", "p {}")]);
    let port = testkit::free_port();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_hotplate"))
        .args([
            "serve",
            dir.path().to_str().unwrap(),
            "--strict-port",
            "--port",
        ])
        .arg(port.to_string())
        .env("RUST_LOG", "hotplate=debug")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let (lines, log) = std::sync::mpsc::channel();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = lines.send(line);
        }
    });
    let wait_for = |what: &str| loop {
        let line = log
            .recv_timeout(std::time::Duration::from_secs(20))
            .unwrap_or_else(|_| panic!("a log line with {what:?}"));
        if line.contains(what) {
            break line;
        }
    };
    wait_for("watching");
    std::fs::write(dir.path().join("style.css"), "p { color: red }").unwrap();
    let line = wait_for("timings:");
    child.kill().unwrap();
    let _ = child.wait();
    for stage in [
        "watcher to pipeline",
        "check",
        "plan",
        "publish",
        "render and diff",
    ] {
        assert!(line.contains(stage), "{stage}: {line}");
    }
}
