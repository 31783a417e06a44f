//! Updates: a saved file becomes the smallest correct message on the hub.
//!
//! - A stylesheet a served page links → `update` with a `css` entry for its URL.
//! - A static `.html` file → `reload` for the routes that showed it, and no others.
//! - A template → the pages rendered from templates are rendered again, then `reload` for
//!   their routes; a template that fails → `error` (file and line), and its fix →
//!   `error-clear` and `reload`.
//! - A file served to no importer hotplate knows (fetched) → `reload` for every page; a file
//!   never served → nothing. Every batch is also sent as `change`.
//!
//! Scripts, imported stylesheets and assets have their own files: `modules.rs`.

mod util;
use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;
use util::{EventReader, Running, run};

/// Serves `paths` (recording them in the graph), then opens the event stream past its hello.
async fn watching(site: &Running, paths: &[&str]) -> EventReader {
    for path in paths {
        let req = Request::get(*path)
            .header("host", "localhost")
            .body(Body::empty())
            .unwrap();
        let response = hotplate::serve::router(site.app.clone())
            .oneshot(req)
            .await
            .unwrap();
        assert!(response.status().is_success(), "{path}");
    }
    let mut events = util::events_of(&site.app).await;
    events.next_named("hello").await;
    events
}

#[test]
fn a_linked_stylesheet_is_swapped() {
    let site = run("basic");
    site.runtime().block_on(async {
        let mut events = watching(&site, &["/"]).await;
        site.write("style.css", "body { color: red; }");
        let change = events.next_named("change").await;
        assert_eq!(change.json()["paths"][0], "style.css");
        let update = events.next_event().await;
        assert_eq!(update.event(), "update");
        let css = &update.json()["updates"][0];
        assert_eq!(css["type"], "css");
        assert_eq!(css["path"], "/style.css");
        assert!(css["timestamp"].as_u64().unwrap() > 0);
    });
}

#[test]
fn a_static_html_file_reloads_only_the_routes_showing_it() {
    let site = run("basic");
    site.runtime().block_on(async {
        let mut events = watching(&site, &["/", "/docs/"]).await;
        site.write("docs/index.html", "<h1>new docs</h1>");
        let reload = events.next_named("reload").await;
        assert_eq!(reload.json()["routes"], serde_json::json!(["/docs/"]));
    });
}

#[test]
fn a_template_change_reloads_the_rendered_routes() {
    let site = run("basic");
    site.runtime().block_on(async {
        let mut events = watching(&site, &["/", "/about"]).await;
        site.write("partials/nav.html", "<nav>changed</nav>");
        let reload = events.next_named("reload").await;
        assert_eq!(reload.json()["routes"], serde_json::json!(["/", "/about"]));
    });
}

#[test]
fn a_broken_template_shows_an_error_and_its_fix_clears_it() {
    let site = run("basic");
    site.runtime().block_on(async {
        let mut events = watching(&site, &["/"]).await;
        let good = site.read("partials/nav.html");
        site.write("partials/nav.html", "<nav>\n{% if %}</nav>");
        let error = events.next_named("error").await.json();
        assert_eq!(error["file"], "partials/nav.html");
        assert_eq!(error["line"], 2);
        assert!(error["message"].as_str().unwrap().contains("syntax error"));
        assert!(error["frame"].as_str().unwrap().contains("{% if %}"));
        site.write("partials/nav.html", &good);
        assert_eq!(
            events.next_named("error-clear").await.event(),
            "error-clear"
        );
        let reload = events.next_event().await;
        assert_eq!(reload.event(), "reload");
        assert_eq!(reload.json()["routes"], serde_json::json!(["/"]));
    });
}

#[test]
fn a_file_nothing_known_imports_reloads_every_page_and_an_unserved_one_nothing() {
    let site = run("basic");
    site.runtime().block_on(async {
        // alphabet.txt is fetched directly: hotplate cannot tell which page uses it.
        let mut events = watching(&site, &["/", "/alphabet.txt"]).await;
        site.write("never-served.js", "console.log(1)");
        let first = events.next_event().await;
        assert_eq!(first.event(), "change");
        assert_eq!(first.json()["paths"][0], "never-served.js");
        site.write("public/alphabet.txt", "changed");
        let second = events.next_event().await;
        assert_eq!(second.event(), "change");
        let reload = events.next_event().await;
        assert_eq!(reload.event(), "reload", "not a reload for never-served.js");
        let reload = reload.json();
        assert!(reload.get("routes").is_none(), "{reload}");
        assert!(reload["reason"].as_str().unwrap().contains("alphabet.txt"));
    });
}

#[test]
fn a_removed_page_is_reloaded_and_never_reported_as_a_render_error() {
    let site = run("basic");
    site.runtime().block_on(async {
        let mut events = watching(&site, &["/", "/about"]).await;
        std::fs::remove_file(site.path("pages/about.html")).unwrap();
        site.write("partials/nav.html", "<nav>changed</nav>");
        let mut seen = Vec::new();
        loop {
            let event = events.next_event().await;
            assert_ne!(
                event.event(),
                "error",
                "a removed page is not a broken one: {seen:?}"
            );
            seen.push(event.event().to_string());
            let routes = event.json().get("routes").cloned();
            if event.event() == "reload"
                && routes.is_some_and(|r| r.as_array().unwrap().contains(&"/".into()))
            {
                break;
            }
        }
    });
}
