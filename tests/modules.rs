//! Scripts and stylesheets as served in dev, and the messages their changes become (in
//! memory; `hmr.rs` runs the same scenarios in Chromium).
//!
//! - A module that mentions `import.meta.hot` gets a one-line prologue; any other module, and
//!   every module in `--prod`, is served byte for byte.
//! - After a hot update, files served name the changed files with `?t=<timestamp>`; the
//!   unchanged keep their URLs. Stylesheets do the same for `@import` and `url()`.
//! - A module served again without one of its imports prunes it: a `prune` message.
//! - A stylesheet's update carries its rules; those of one message stay within 256 KB
//!   together (the others are fetched).
//! - A page served again preloads (`modulepreload`) what its scripts imported last time, by
//!   the URLs its scripts will ask for.
//! - A script that does not parse is served as it is and shows the overlay (`error`).
//! - A script caught empty in the middle of a save is served once written.
//! - What an inline `<script type=module>` imports belongs to its page: with no boundary, only
//!   that page reloads.
//! - `/__hotplate/changes` sends each changed path as a JSON string, one message per path.
//! - `import.meta.hot.send` posts to `/__hotplate/send`: `vite:invalidate` walks on from the
//!   module's importers, anything else reaches the app's handler. `App::send_custom` sends a
//!   `custom` event.

mod util;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use hotplate::settings::Mode;
use hotplate::testing::base::{Change, ChangeBatch, ChangeKind, SitePath};
use std::sync::{Arc, Mutex};
use util::{Site, site, site_with};

fn modified(paths: &[&str]) -> ChangeBatch {
    ChangeBatch {
        changes: paths
            .iter()
            .map(|p| Change {
                path: SitePath::new(p),
                kind: ChangeKind::Modified,
            })
            .collect(),
        rescan: false,
        ..Default::default()
    }
}

async fn text(site: &Site, uri: &str) -> String {
    let reply = site.get(uri).await;
    assert_eq!(reply.status, StatusCode::OK, "{uri}");
    reply.text()
}

async fn post_send(site: &Site, body: &str, origin: Option<&str>) -> StatusCode {
    let mut req = Request::post("/__hotplate/send")
        .header("host", "localhost")
        .header("content-type", "application/json");
    if let Some(origin) = origin {
        req = req.header("origin", origin);
    }
    site.request(req.body(Body::from(body.to_string())).unwrap())
        .await
        .status
}

#[tokio::test]
async fn only_modules_that_mention_hot_get_the_prologue() {
    let site = site("modules");
    let hot = text(&site, "/self/main.js").await;
    let boot = &site.app.settings.boot;
    assert!(
        hot.starts_with(&format!(
            "import {{ createHotContext as __hotplate_context }} from \"/__hotplate/{boot}/hot.js\"; import.meta.hot = __hotplate_context(\"/self/main.js\"); "
        )),
        "{hot}"
    );
    assert_eq!(
        hot.lines().count(),
        site.read_text("self/main.js").lines().count(),
        "line numbers are kept"
    );
    assert_eq!(
        text(&site, "/reload/main.js").await,
        site.read_text("reload/main.js")
    );
    let runtime = text(&site, &format!("/__hotplate/{boot}/hot.js")).await;
    assert!(runtime.contains("export function createHotContext"));
}

#[tokio::test]
async fn production_serves_modules_as_they_are_so_hot_is_undefined() {
    let site = site_with("modules", |s| s.mode = Mode::Prod);
    assert_eq!(
        text(&site, "/self/main.js").await,
        site.read_text("self/main.js")
    );
    assert_eq!(
        site.get("/__hotplate/x/hot.js").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn after_an_update_importers_name_changed_files_with_its_timestamp() {
    let site = site("modules");
    text(&site, "/nested/").await;
    let main = text(&site, "/nested/main.js").await;
    assert!(main.contains("from './view.js'"), "{main}");
    text(&site, "/nested/view.js").await;
    text(&site, "/nested/format.js").await;

    hotplate::testing::pipeline::react(&site.app, &modified(&["nested/format.js"]));
    let stamp = site
        .app
        .live
        .graph()
        .timestamp(&SitePath::new("nested/format.js"));
    assert!(stamp > 0);

    let view = text(&site, &format!("/nested/view.js?t={stamp}")).await;
    assert!(
        view.contains(&format!("from \"./format.js?t={stamp}\"")),
        "{view}"
    );
    // main.js accepts view.js: it is not stale, and names view.js with the same timestamp
    // only because view.js is on the way from format.js.
    let main = text(&site, "/nested/main.js").await;
    assert!(
        main.contains(&format!("from \"./view.js?t={stamp}\"")),
        "{main}"
    );
    assert_eq!(
        site.app
            .live
            .graph()
            .timestamp(&SitePath::new("nested/main.js")),
        0
    );
}

#[tokio::test]
async fn a_page_served_again_preloads_the_modules_its_scripts_imported() {
    let site = site("modules");
    let first = text(&site, "/nested/").await;
    assert!(!first.contains("modulepreload\" href=\"/nested"), "{first}");
    for uri in ["/nested/main.js", "/nested/view.js", "/nested/format.js"] {
        text(&site, uri).await;
    }
    hotplate::testing::pipeline::react(&site.app, &modified(&["nested/format.js"]));
    let stamp = site
        .app
        .live
        .graph()
        .timestamp(&SitePath::new("nested/format.js"));
    let again = text(&site, "/nested/").await;
    assert!(
        again.contains(&format!(
            r#"<link rel="modulepreload" href="/nested/view.js?t={stamp}"><link rel="modulepreload" href="/nested/format.js?t={stamp}">"#
        )),
        "{again}"
    );
}

#[tokio::test]
async fn stylesheets_name_changed_imports_and_assets_with_the_timestamp() {
    let site = site("modules");
    text(&site, "/styles/").await;
    text(&site, "/styles/main.css").await;
    hotplate::testing::pipeline::react(&site.app, &modified(&["styles/base.css"]));
    let stamp = site
        .app
        .live
        .graph()
        .timestamp(&SitePath::new("styles/base.css"));
    let css = text(&site, &format!("/styles/main.css?t={stamp}")).await;
    assert!(
        css.starts_with(&format!("@import \"./base.css?t={stamp}\";")),
        "{css}"
    );
}

#[tokio::test]
async fn a_change_becomes_the_smallest_update_message() {
    let site = site("modules");
    for uri in [
        "/dep/",
        "/dep/main.js",
        "/dep/message.js",
        "/image/",
        "/image/image.css",
    ] {
        text(&site, uri).await;
    }
    let mut events = site.events(&[]).await;
    events.next_named("hello").await;
    hotplate::testing::pipeline::react(&site.app, &modified(&["dep/message.js", "image/dot.svg"]));
    let update = events.next_named("update").await.json();
    let updates = update["updates"].as_array().unwrap();
    assert_eq!(updates[0]["type"], "js");
    assert_eq!(updates[0]["path"], "/dep/main.js");
    assert_eq!(updates[0]["acceptedPath"], "/dep/message.js");
    assert_eq!(updates[1]["type"], "css");
    assert_eq!(updates[1]["path"], "/image/image.css");
    let asset = events.next_named("asset").await.json();
    assert_eq!(asset["paths"], serde_json::json!(["/image/dot.svg"]));
    assert_eq!(asset["timestamp"], updates[0]["timestamp"]);
}

#[tokio::test]
async fn a_module_served_without_an_import_prunes_it() {
    let site = site("modules");
    for uri in ["/prune/", "/prune/main.js", "/prune/extra.js"] {
        text(&site, uri).await;
    }
    let mut events = site.events(&[]).await;
    events.next_named("hello").await;
    site.write("prune/main.js", "import.meta.hot.accept();\n");
    text(&site, "/prune/main.js?t=1").await;
    let prune = events.next_named("prune").await.json();
    assert_eq!(prune["paths"], serde_json::json!(["/prune/extra.js"]));
}

#[tokio::test]
async fn a_script_that_does_not_parse_is_served_as_it_is_and_shows_the_overlay() {
    let site = site("modules");
    let mut events = site.events(&[]).await;
    events.next_named("hello").await;
    site.write("self/main.js", "const a = ;\n");
    assert_eq!(text(&site, "/self/main.js").await, "const a = ;\n");
    let error = events.next_named("error").await.json();
    assert_eq!(error["file"], "self/main.js");
    assert_eq!(error["line"], 1);
    assert!(error["frame"].as_str().unwrap().contains("const a = ;"));
    site.write("self/main.js", "import.meta.hot.accept();\n");
    text(&site, "/self/main.js").await;
    events.next_named("error-clear").await;

    // Deleting a broken script clears its error too.
    site.write("self/main.js", "const b = ;\n");
    text(&site, "/self/main.js").await;
    events.next_named("error").await;
    std::fs::remove_file(site.path("self/main.js")).unwrap();
    hotplate::testing::pipeline::react(
        &site.app,
        &ChangeBatch {
            changes: vec![Change {
                path: SitePath::new("self/main.js"),
                kind: ChangeKind::Removed,
            }],
            rescan: false,
            ..Default::default()
        },
    );
    events.next_named("error-clear").await;
}

#[tokio::test]
async fn a_classic_script_that_is_not_a_valid_module_is_not_an_error() {
    let site = site("modules");
    let mut events = site.events(&[]).await;
    events.next_named("hello").await;
    // `await` is a name in a classic script, and reserved in a module.
    site.write("classic.js", "var await = 1;\n");
    text(&site, "/classic.js").await;
    assert!(site.app.live.problems.is_empty());
    site.write("broken.js", "var = 1;\n");
    text(&site, "/broken.js").await;
    assert!(!site.app.live.problems.is_empty());
}

#[tokio::test]
async fn the_raw_change_feed_sends_one_json_path_per_message() {
    let site = site("modules");
    let mut feed = site.stream("/__hotplate/changes").await;
    hotplate::testing::pipeline::react(&site.app, &modified(&["feed/widget.js", "a b.txt"]));
    let first = feed.next_within(std::time::Duration::from_secs(5)).await;
    let first = first.unwrap();
    assert_eq!(first.field("event"), None, "unnamed, so onmessage gets it");
    assert_eq!(first.field("data"), Some("\"feed/widget.js\""));
    let second = feed.next_within(std::time::Duration::from_secs(5)).await;
    assert_eq!(second.unwrap().field("data"), Some("\"a b.txt\""));
}

#[tokio::test]
async fn messages_from_pages_reach_the_handler_and_custom_events_reach_pages() {
    let site = site("modules");
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = received.clone();
    site.app
        .live
        .messages
        .on_custom(move |event, data| sink.lock().unwrap().push((event.to_string(), data.clone())));
    let status = post_send(
        &site,
        r#"{"event":"my:ping","data":{"n":1}}"#,
        Some("http://localhost"),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        *received.lock().unwrap(),
        vec![("my:ping".to_string(), serde_json::json!({"n": 1}))]
    );
    assert_eq!(
        post_send(&site, r#"{"event":"x"}"#, Some("http://evil.example")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_send(&site, "not json", None).await,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        site.get("/__hotplate/send").await.status,
        StatusCode::METHOD_NOT_ALLOWED
    );

    let mut events = site.events(&[]).await;
    events.next_named("hello").await;
    site.app
        .live
        .send_custom("my:pong", serde_json::json!([1, 2]));
    let custom = events.next_named("custom").await.json();
    assert_eq!(
        custom,
        serde_json::json!({"event": "my:pong", "data": [1, 2]})
    );
}

#[tokio::test]
async fn invalidate_walks_on_from_the_importers() {
    let site = site("modules");
    for uri in [
        "/invalidate/",
        "/invalidate/main.js",
        "/invalidate/child.js",
    ] {
        text(&site, uri).await;
    }
    hotplate::testing::pipeline::react(&site.app, &modified(&["invalidate/child.js"]));
    let mut events = site.events(&[]).await;
    events.next_named("hello").await;
    let status = post_send(
        &site,
        r#"{"event":"vite:invalidate","data":{"path":"/invalidate/child.js","message":"no"}}"#,
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let update = events.next_named("update").await.json();
    assert_eq!(update["updates"][0]["path"], "/invalidate/main.js");
    assert_eq!(update["updates"][0]["acceptedPath"], "/invalidate/main.js");
}

#[tokio::test]
async fn what_an_inline_module_imports_reloads_only_its_page() {
    let site = site("modules");
    for uri in ["/inline/", "/inline/app.js", "/reload/"] {
        text(&site, uri).await;
    }
    let mut events = site.events(&[]).await;
    events.next_named("hello").await;
    hotplate::testing::pipeline::react(&site.app, &modified(&["inline/app.js"]));
    let reload = events.next_named("reload").await.json();
    assert_eq!(reload["routes"], serde_json::json!(["/inline/"]));
}

#[tokio::test]
async fn a_module_caught_empty_mid_save_is_served_once_written() {
    let site = site("modules");
    std::fs::write(site.path("self/main.js"), "").unwrap();
    let path = site.path("self/main.js");
    let writer = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(10));
        std::fs::write(path, "import.meta.hot.accept(); // saved\n").unwrap();
    });
    let served = text(&site, "/self/main.js").await;
    writer.join().unwrap();
    assert!(
        served.ends_with("import.meta.hot.accept(); // saved\n"),
        "{served:?}"
    );
    // A file that stays empty is served empty, after the wait.
    site.write("reload/main.js", "");
    assert_eq!(text(&site, "/reload/main.js").await, "");
}

#[tokio::test]
async fn the_stylesheet_texts_of_one_update_stay_within_the_bound_together() {
    let site = site("modules");
    let big = format!(
        "p {{ color: red }}\nq::before {{ content: \"{}\" }}\n",
        "x".repeat(150 * 1024)
    );
    site.write("styles/a.css", &big);
    site.write("styles/b.css", &big);
    site.write(
        "styles/two.html",
        "<link rel=stylesheet href=a.css><link rel=stylesheet href=b.css>",
    );
    text(&site, "/styles/two.html").await;
    text(&site, "/styles/a.css").await;
    text(&site, "/styles/b.css").await;
    let mut events = site.events(&[]).await;
    hotplate::testing::pipeline::react(&site.app, &modified(&["styles/a.css", "styles/b.css"]));
    let update = events.next_named("update").await.json();
    let updates = update["updates"].as_array().unwrap();
    assert_eq!(updates.len(), 2, "{update}");
    let carried: Vec<bool> = updates.iter().map(|u| u["rules"].is_array()).collect();
    assert_eq!(
        carried,
        vec![true, false],
        "the first fits, the second is fetched"
    );
    assert_eq!(updates[0]["rules"][0], "p { color: red }");
}
