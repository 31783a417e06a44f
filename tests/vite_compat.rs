//! Vite's `import.meta.hot` semantics, to the letter, in a real Chromium (scenarios after Vite's
//! own HMR playground; `docs/compatibility.md` lists them all).
//!
//! - A module pruned and imported again runs again (it comes back with a fresh `?t=`).
//! - Two modules that invalidate each other end with one full reload, not an endless loop.
//! - One invalidation per update, however many tabs applied the update.
//! - `vite:beforeUpdate` and `vite:afterUpdate` listeners get Vite's payload.
//! - `import.meta.hot.accept(handler)`, a named function, accepts the module itself.
//! - `vite:ws:connect`, `vite:invalidate`, `vite:beforePrune`, `vite:error` and
//!   `vite:beforeFullReload` listeners get Vite's payloads too; a dropped connection fires
//!   `vite:ws:disconnect`.

mod util;
use testkit::{Browser, Page};
use util::Running;

const PAGE: &str = "<!doctype html><html><head><meta charset=\"utf-8\"><title>t</title></head>\
    <body><input id=\"field\"><p id=\"out\">loading</p>\
    <script type=\"module\" src=\"./main.js\"></script></body></html>";

/// A site with one scenario folder made of `files`, served with its watcher.
fn scenario(files: &[(&str, &str)]) -> Running {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("s")).unwrap();
    std::fs::write(dir.path().join("s/index.html"), PAGE).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join("s").join(name), text).unwrap();
    }
    util::run_dir(dir, |_| {})
}

fn open<'b>(browser: &'b Browser, site: &Running) -> Page<'b> {
    let page = browser.open(&format!("{}/s/", site.url));
    page.wait_for(
        "window.__hotplate && window.__hotplate.boot",
        "the runtime to connect",
    );
    page.eval("window.marker = 42; true");
    page
}

#[test]
fn a_module_pruned_and_imported_again_runs_again() {
    let main = "import './dep.js';\nwindow.mainRuns = (window.mainRuns ?? 0) + 1;\nimport.meta.hot.accept();\n";
    let site = scenario(&[
        ("main.js", main),
        ("dep.js", "window.depRuns = (window.depRuns ?? 0) + 1;\n"),
    ]);
    let browser = Browser::launch();
    let page = open(&browser, &site);
    page.wait_for("window.depRuns === 1", "dep.js to run");
    site.write("s/main.js", &main.replace("import './dep.js';\n", ""));
    page.wait_for("window.mainRuns === 2", "main.js without dep.js");
    site.write("s/main.js", main);
    page.wait_for("window.mainRuns === 3", "main.js with dep.js again");
    page.wait_for("window.depRuns === 2", "dep.js to run again");
    assert_eq!(page.eval("window.marker"), 42, "no reload");
}

#[test]
fn modules_that_invalidate_each_other_end_with_one_reload() {
    let module = |other: &str| {
        format!(
            "import './{other}';\n\
             sessionStorage.runs = Number(sessionStorage.runs ?? 0) + 1;\n\
             import.meta.hot.accept(() => import.meta.hot.invalidate('the other one renders'));\n"
        )
    };
    // main.js is a boundary for both, so nothing ever reaches the page: only the rule that a
    // chain must not come back to its first module ends it.
    let site = scenario(&[
        (
            "main.js",
            "import './a.js';\nimport './b.js';\nimport.meta.hot.accept();\n",
        ),
        ("a.js", &module("b.js")),
        ("b.js", &module("a.js")),
    ]);
    let browser = Browser::launch();
    let page = open(&browser, &site);
    page.eval("sessionStorage.loads = Number(sessionStorage.loads ?? 0) + 1");
    site.write("s/b.js", &format!("{}// saved\n", module("a.js")));
    page.wait_for(
        "window.marker === undefined",
        "the reload that ends the chain",
    );
    page.wait_for(
        "window.__hotplate && window.__hotplate.boot",
        "the reloaded page",
    );
    let runs = page.eval("sessionStorage.runs");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(
        page.eval("sessionStorage.runs"),
        runs,
        "the chain went on after the reload"
    );
}

#[test]
fn one_invalidation_per_update_however_many_tabs_apply_it() {
    let site = util::run("modules");
    let browser = Browser::launch();
    let pages: Vec<_> = (0..3)
        .map(|_| {
            let page = browser.open(&format!("{}/invalidate/", site.url));
            page.wait_for("window.mainRuns === 1", "main.js to run");
            page.wait_for("window.__hotplate && window.__hotplate.boot", "the runtime");
            page
        })
        .collect();
    site.edit("invalidate/child.js", "child one", "child two");
    for page in &pages {
        page.wait_for(
            "document.getElementById('out').textContent === 'child two'",
            "the importer to render the new value",
        );
    }
    std::thread::sleep(std::time::Duration::from_millis(1000));
    for page in &pages {
        assert_eq!(
            page.eval("window.mainRuns"),
            2,
            "main.js ran once per update"
        );
    }
}

#[test]
fn update_listeners_get_vites_payload() {
    let site = scenario(&[
        (
            "main.js",
            "window.seen = [];\n\
             import.meta.hot.on('vite:beforeUpdate', (p) => seen.push(['before', p]));\n\
             import.meta.hot.on('vite:afterUpdate', (p) => seen.push(['after', p]));\n\
             import.meta.hot.accept('./dep.js', () => {});\n\
             import './dep.js';\n",
        ),
        ("dep.js", "export const v = 1;\n"),
        ("style.css", "body { color: red; }\n"),
    ]);
    site.write(
        "s/index.html",
        &PAGE.replace(
            "<title>t</title>",
            "<title>t</title><link rel=\"stylesheet\" href=\"style.css\">",
        ),
    );
    let browser = Browser::launch();
    let page = open(&browser, &site);
    page.wait_for("Array.isArray(window.seen)", "main.js");
    site.write("s/dep.js", "export const v = 2;\n");
    page.wait_for("window.seen.length === 2", "before and after a js update");
    site.write("s/style.css", "body { color: blue; }\n");
    page.wait_for("window.seen.length === 4", "before and after a css update");
    let seen = page.eval("window.seen");
    let js = &seen[0][1];
    assert_eq!(js["type"], "update");
    assert_eq!(js["updates"][0]["type"], "js-update");
    assert_eq!(js["updates"][0]["path"], "/s/main.js");
    assert_eq!(js["updates"][0]["acceptedPath"], "/s/dep.js");
    assert_eq!(js["updates"][0]["explicitImportRequired"], false);
    assert_eq!(js["updates"][0]["isWithinCircularImport"], false);
    assert!(js["updates"][0]["timestamp"].as_u64().unwrap() > 0);
    assert_eq!(seen[1][0], "after");
    assert_eq!(seen[2][1]["updates"][0]["type"], "css-update");
    assert_eq!(seen[2][1]["updates"][0]["path"], "/s/style.css");
}

#[test]
fn accept_with_a_named_handler_accepts_the_module_itself() {
    let main = "window.runs = (window.runs ?? 0) + 1;\n\
                document.getElementById('out').textContent = 'v1';\n\
                function handleUpdate(next) { window.handled = next ? 'new module' : 'none'; }\n\
                import.meta.hot.accept(handleUpdate);\n";
    let site = scenario(&[("main.js", main)]);
    let browser = Browser::launch();
    let page = open(&browser, &site);
    page.eval("document.getElementById('field').value = 'typed'; true");
    site.write("s/main.js", &main.replace("'v1'", "'v2'"));
    page.wait_for(
        "document.getElementById('out').textContent === 'v2'",
        "the new code",
    );
    assert_eq!(page.eval("window.handled"), "new module");
    assert_eq!(page.eval("window.marker"), 42, "no reload");
    assert_eq!(page.eval("document.getElementById('field').value"), "typed");
}

#[test]
fn the_other_vite_events_get_vites_payloads() {
    let main = "import './dep.js';\nimport './extra.js';\n\
        window.events = window.events ?? [];\n\
        for (const name of ['vite:ws:connect', 'vite:beforePrune', 'vite:invalidate', 'vite:error', 'vite:beforeFullReload']) {\n\
          import.meta.hot.on(name, (payload) => {\n\
            window.events.push([name, payload]);\n\
            sessionStorage.events = JSON.stringify(window.events);\n\
          });\n\
        }\n\
        import.meta.hot.accept();\n";
    let dep = "export const v = 1;\nimport.meta.hot.accept(() => import.meta.hot.invalidate('dep says'));\n";
    let site = scenario(&[
        ("main.js", main),
        ("dep.js", dep),
        ("extra.js", "export {};\n"),
        ("plain.js", "window.plain = 1;\n"),
    ]);
    site.write(
        "s/index.html",
        &PAGE.replace(
            "</body>",
            "<script type=\"module\" src=\"./plain.js\"></script></body>",
        ),
    );
    let browser = Browser::launch();
    let page = open(&browser, &site);
    let event = |name: &str| format!("window.events.find(([n]) => n === '{name}')?.[1]");
    page.wait_for(&event("vite:ws:connect"), "vite:ws:connect");

    site.write("s/dep.js", &dep.replace("v = 1", "v = 2"));
    page.wait_for(&event("vite:invalidate"), "vite:invalidate");
    let invalidate = page.eval(&event("vite:invalidate"));
    assert_eq!(invalidate["path"], "/s/dep.js");
    assert_eq!(invalidate["message"], "dep says");
    assert_eq!(invalidate["firstInvalidatedBy"], "/s/dep.js");

    site.write("s/main.js", &main.replace("import './extra.js';\n", ""));
    page.wait_for(&event("vite:beforePrune"), "vite:beforePrune");
    let prune = page.eval(&event("vite:beforePrune"));
    assert_eq!(
        prune,
        serde_json::json!({ "type": "prune", "paths": ["/s/extra.js"] })
    );

    site.write("s/dep.js", "export const v = ;\n");
    page.wait_for(&event("vite:error"), "vite:error");
    let error = page.eval(&event("vite:error"));
    assert_eq!(error["type"], "error");
    assert!(
        error["err"]["message"]
            .as_str()
            .unwrap()
            .contains("SyntaxError"),
        "{error}"
    );
    assert_eq!(error["err"]["id"], "s/dep.js");
    assert_eq!(error["err"]["loc"]["line"], 1);
    assert!(error["err"]["frame"].as_str().unwrap().contains("v = ;"));
    site.write("s/dep.js", dep);

    site.write("s/plain.js", "window.plain = 2;\n");
    page.wait_for("window.marker === undefined", "the reload");
    let events = page.eval("JSON.parse(sessionStorage.events)");
    let reload = events
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e[0] == "vite:beforeFullReload")
        .expect("vite:beforeFullReload before the reload");
    assert_eq!(reload[1]["type"], "full-reload");
    assert_eq!(reload[1]["path"], "*");
}

#[test]
fn a_dropped_connection_fires_vite_ws_disconnect() {
    let site = scenario(&[(
        "main.js",
        "window.dropped = [];\n\
         import.meta.hot.on('vite:ws:disconnect', (payload) => dropped.push(payload));\n",
    )]);
    let browser = Browser::launch();
    let page = open(&browser, &site);
    page.wait_for("Array.isArray(window.dropped)", "main.js");
    assert_eq!(page.eval("window.dropped.length"), 0);
    drop(site); // the server stops: the event stream drops
    page.wait_for("window.dropped.length > 0", "vite:ws:disconnect");
    assert_eq!(
        page.eval("window.dropped[0]"),
        serde_json::json!({ "webSocket": null })
    );
}
