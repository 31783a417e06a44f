//! Pages: file-based routes rendered from minijinja templates.
//!
//! - `/` is `pages/index.html` (or the root `index.html`); `/about` is `pages/about.html`.
//! - `[name]` segments match any value, which reaches the template as `params.name`.
//! - Layouts and partials compose through `{% extends %}` and `{% include %}`.
//! - A URL nothing answers renders `pages/404.html` with status 404.
//! - `{{ version }}` is one random value per start, the same on every page.
//! - Templates read Markdown with `content()` and `content_list()`, and data with `data()`.
//! - The example site that ships in the repo renders every page it links to.

mod util;
use axum::http::StatusCode;
use util::site;

#[tokio::test]
async fn the_home_page_renders_through_its_layout_and_partial() {
    let site = site("basic");
    let reply = site.get("/").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-type"), "text/html; charset=utf-8");
    let html = reply.text();
    assert!(html.contains(r#"<h1 id="title">Home</h1>"#), "{html}");
    assert!(
        html.contains(r#"<nav id="nav">nav</nav>"#),
        "the partial is included: {html}"
    );
    assert!(
        html.contains("<title>basic</title>"),
        "the layout wraps the page: {html}"
    );
}

#[tokio::test]
async fn named_pages_answer_their_paths() {
    let site = site("basic");
    let html = site.get("/about").await.text();
    assert!(html.contains(r#"<h1 id="title">About</h1>"#));
    assert!(html.contains("<title>about</title>"));
}

#[tokio::test]
async fn a_dynamic_segment_reaches_the_template() {
    let site = site("basic");
    let reply = site.get("/blog/first-post?ignored=1").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .text()
            .contains(r#"<h1 id="title">Post first-post</h1>"#)
    );
}

#[tokio::test]
async fn a_missing_route_renders_the_404_page() {
    let site = site("basic");
    let reply = site.get("/no/such/page").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.text().contains("Missing"), "{}", reply.text());
}

#[tokio::test]
async fn without_a_404_page_hotplate_says_what_was_not_found() {
    let site = site("basic");
    std::fs::remove_file(site.path("pages/404.html")).unwrap();
    let reply = site.get("/nothing-here").await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(
        reply.text().contains("<code>/nothing-here</code>"),
        "{}",
        reply.text()
    );
}

#[tokio::test]
async fn every_page_of_one_start_sees_the_same_version() {
    let site = site("basic");
    let version = &site.app.settings.version;
    for path in ["/", "/about", "/blog/x"] {
        let html = site.get(path).await.text();
        assert!(
            html.contains(&format!(r#"<footer id="version">{version}</footer>"#)),
            "{path}"
        );
        assert!(html.contains(&format!("/style.css?v={version}")), "{path}");
    }
}

#[tokio::test]
async fn two_starts_give_two_versions() {
    let (a, b) = (site("basic"), site("basic"));
    assert_ne!(a.app.settings.version, b.app.settings.version);
    assert_ne!(a.get("/").await.text(), b.get("/").await.text());
}

#[tokio::test]
async fn a_page_added_while_running_is_served() {
    let site = site("basic");
    assert_eq!(site.get("/new").await.status, StatusCode::NOT_FOUND);
    site.write("pages/new.html", "<p>fresh</p>");
    let reply = site.get("/new").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.text().contains("<p>fresh</p>"));
}

#[tokio::test]
async fn an_edited_template_is_read_again() {
    let site = site("basic");
    assert!(
        site.get("/")
            .await
            .text()
            .contains(r#"<nav id="nav">nav</nav>"#)
    );
    // A different length, so the change shows even on coarse mtime clocks.
    site.write("partials/nav.html", r#"<nav id="nav">navigation</nav>"#);
    assert!(
        site.get("/")
            .await
            .text()
            .contains(r#"<nav id="nav">navigation</nav>"#)
    );
}

#[tokio::test]
async fn templates_read_markdown_content_and_data_files() {
    let site = site("basic");
    let notes = site.get("/notes").await.text();
    assert!(notes.contains(r#"<h1 id="title">Notes</h1>"#), "{notes}");
    assert!(notes.contains("Some <em>notes</em>."), "{notes}");
    let about = site.get("/about").await.text();
    assert!(about.contains(r#"<p id="team">The team</p>"#), "{about}");
}

#[tokio::test]
async fn the_example_site_renders_every_page_it_links_to() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/site");
    let app = hotplate::testing::App::new(hotplate::Settings::for_root(&root).unwrap());
    let site = util::Site {
        dir: tempfile::tempdir().unwrap(),
        router: hotplate::testing::serve::router(app.clone()),
        app,
    };
    for (route, text) in [
        ("/", "Welcome to hotplate"),
        ("/about", "About"),
        ("/blog", "A second post"),
        ("/blog/hello", "Hello, hotplate"),
        ("/blog/second-post", "<table>"),
        ("/blog/second-post", "<small>2026-11-15</small>"),
        ("/blog/nothing-yet", "No post called"),
        ("/plain.html", "A static page"),
    ] {
        let reply = site.get(route).await;
        assert_eq!(reply.status, StatusCode::OK, "{route}");
        let html = reply.text();
        assert!(html.contains(text), "{route} has no {text:?}: {html}");
        assert!(
            html.contains("save a file, keep your place") || route == "/plain.html",
            "{route}"
        );
    }
    assert_eq!(site.get("/nowhere").await.status, StatusCode::NOT_FOUND);
}
