//! Updates: a saved file becomes the smallest correct message on the hub.
//!
//! - A stylesheet a served page links → `update` with a `css` entry for its URL.
//! - A static `.html` file → `reload` for the routes that showed it, and no others.
//! - A template, content or data file → the routes whose last render read it are rendered
//!   again, then one `html` message names them (every known route of a dynamic page by its
//!   pattern); routes that did not read it hear nothing. A template that fails → `error` (file
//!   and line), and its fix → `error-clear` and `html`. A render that comes out the same sends
//!   nothing. A file both a render and the browser use gets both updates.
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
        let response = hotplate::testing::serve::router(site.app.clone())
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
fn a_partial_updates_exactly_the_routes_whose_render_read_it() {
    let site = run("basic");
    site.runtime().block_on(async {
        let mut events = watching(&site, &["/", "/about", "/notes"]).await;
        site.write("partials/team.html", "<p id=team>new team</p>");
        let html = events.next_named("html").await.json();
        assert_eq!(html["routes"], serde_json::json!(["/about"]));
        assert!(html["timestamp"].as_u64().unwrap() > 0);
        // The refresh that follows gets the new render.
        let page = site
            .get_with("/about", &[("x-hotplate-refresh", "1")])
            .await;
        assert!(page.text().contains("new team"));
    });
}

#[test]
fn a_layout_updates_every_route_using_it_and_names_dynamic_ones_by_pattern() {
    let site = run("basic");
    site.runtime().block_on(async {
        let mut events = watching(&site, &["/", "/about", "/blog/a", "/blog/b"]).await;
        let layout = site.read("layouts/base.html");
        site.write(
            "layouts/base.html",
            &layout.replace("<main>", "<main class=x>"),
        );
        let html = events.next_named("html").await.json();
        assert_eq!(
            html["routes"],
            serde_json::json!(["/", "/about", "/blog/:slug"])
        );
    });
}

#[test]
fn content_and_data_files_update_the_routes_that_read_them() {
    let site = run("basic");
    site.runtime().block_on(async {
        let mut events = watching(&site, &["/", "/about", "/notes"]).await;
        site.write(
            "content/notes.md",
            "+++\ntitle = \"Changed\"\n+++\nNew *notes*.",
        );
        let html = events.next_named("html").await.json();
        assert_eq!(html["routes"], serde_json::json!(["/notes"]));
        let page = site.get("/notes").await.text();
        assert!(page.contains("<h1 id=\"title\">Changed</h1>"), "{page}");
        assert!(page.contains("New <em>notes</em>."), "{page}");
        site.write("data/team.toml", "name = \"Renamed\"");
        let html = events.next_named("html").await.json();
        assert_eq!(html["routes"], serde_json::json!(["/about"]));
        assert!(site.get("/about").await.text().contains("Renamed"));
    });
}

#[test]
fn a_file_both_the_server_and_the_browser_use_gets_both_updates() {
    let site = run("basic");
    site.runtime().block_on(async {
        // The page inlines the stylesheet the layout also links.
        site.write(
            "pages/inline.html",
            "{% extends \"layouts/base.html\" %}{% block body %}<style>{% include \"style.css\" %}</style>{% endblock %}",
        );
        let mut events = watching(&site, &["/inline"]).await;
        site.write("style.css", "body { color: green; }");
        let (mut swapped, mut rendered) = (false, false);
        while !(swapped && rendered) {
            let event = events.next_event().await;
            match event.event() {
                "update" => {
                    assert_eq!(event.json()["updates"][0]["path"], "/style.css");
                    swapped = true;
                }
                "html" => {
                    assert_eq!(event.json()["routes"], serde_json::json!(["/inline"]));
                    rendered = true;
                }
                _ => {}
            }
        }
        let page = site.get_with("/inline", &[("x-hotplate-refresh", "1")]).await;
        assert!(page.text().contains("color: green"), "{}", page.text());
    });
}

#[test]
fn a_server_file_no_render_read_sends_nothing() {
    let site = run("basic");
    site.runtime().block_on(async {
        let mut events = watching(&site, &["/", "/about"]).await;
        site.write("partials/unused.html", "<p>nobody includes me</p>");
        site.write("style.css", "body { color: blue; }");
        // The stylesheet's update comes; nothing came for the partial before it.
        let mut seen = Vec::new();
        loop {
            let event = events.next_event().await;
            seen.push(event.event().to_string());
            if event.event() == "update" {
                break;
            }
        }
        assert!(
            !seen.iter().any(|e| e == "html" || e == "reload"),
            "{seen:?}"
        );
    });
}

#[test]
fn an_edit_that_leaves_the_render_as_it_was_sends_nothing() {
    let site = run("basic");
    site.runtime().block_on(async {
        // The fixture's partial has `{% if false %}hidden v1{% endif %}`.
        let mut events = watching(&site, &["/about"]).await;
        site.edit("partials/team.html", "hidden v1", "hidden v2");
        site.write("style.css", "body { color: blue; }");
        let mut seen = Vec::new();
        loop {
            let event = events.next_event().await;
            seen.push(format!("{} {}", event.event(), event.json()));
            if event.event() == "update" {
                break;
            }
        }
        assert!(!seen.iter().any(|e| e.starts_with("html")), "{seen:?}");
        // A real change still goes out.
        site.edit(
            "partials/team.html",
            "<p id=\"team\">",
            "<p id=\"team\" class=x>",
        );
        let html = events.next_named("html").await.json();
        assert_eq!(html["routes"], serde_json::json!(["/about"]));
    });
}

#[test]
fn a_removed_page_takes_its_render_error_with_it() {
    let site = run("basic");
    site.runtime().block_on(async {
        let mut events = watching(&site, &["/about"]).await;
        site.write("pages/about.html", "{% if %}");
        events.next_named("error").await;
        std::fs::remove_file(site.path("pages/about.html")).unwrap();
        let mut seen = Vec::new();
        while !(seen.iter().any(|e| e == "error-clear") && seen.iter().any(|e| e == "reload")) {
            seen.push(events.next_event().await.event().to_string());
        }
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
        let html = events.next_event().await;
        assert_eq!(html.event(), "html");
        assert_eq!(html.json()["routes"], serde_json::json!(["/"]));
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
        let (mut reloaded, mut morphed) = (false, false);
        while !(reloaded && morphed) {
            let event = events.next_event().await;
            assert_ne!(
                event.event(),
                "error",
                "a removed page is not a broken one: {seen:?}"
            );
            seen.push(event.event().to_string());
            let routes = event.json()["routes"].clone();
            match event.event() {
                "reload" => {
                    assert_eq!(routes, serde_json::json!(["/about"]));
                    reloaded = true;
                }
                "html" => {
                    assert_eq!(routes, serde_json::json!(["/"]), "not the removed page");
                    morphed = true;
                }
                _ => {}
            }
        }
    });
}
