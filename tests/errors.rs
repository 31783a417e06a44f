//! Bad input gets a clear error and the server goes on.
//!
//! - A template with a syntax error, or a missing include, renders a 500 page that names the
//!   file and line and shows the code around it.
//! - Fixing the file brings the page back.
//! - A page that renders past 50 MB, or runs more template instructions than a render may
//!   (a loop that runs away), is an error page too: neither takes the machine's memory or a
//!   thread for good.

mod util;
use axum::http::StatusCode;
use util::site;

#[tokio::test]
async fn a_syntax_error_renders_a_500_page_naming_file_and_line() {
    let site = site("basic");
    site.write("pages/about.html", "{% extends \"layouts/base.html\" %}\n{% block body %}\n<p>{{ broken </p>\n{% endblock %}\n");
    let reply = site.get("/about").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let html = reply.text();
    assert!(html.contains("syntax error"), "{html}");
    assert!(html.contains("pages/about.html:3"), "{html}");
    assert!(
        html.contains("{{ broken &lt;/p&gt;"),
        "the code frame is shown: {html}"
    );
}

#[tokio::test]
async fn a_missing_include_names_the_template_that_includes_it() {
    let site = site("basic");
    site.write(
        "layouts/base.html",
        "<html><head></head><body>\n\n{% include \"partials/gone.html\" %}</body></html>",
    );
    let reply = site.get("/").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let html = reply.text();
    assert!(html.contains("partials/gone.html"), "{html}");
    assert!(html.contains("layouts/base.html:3"), "{html}");
}

#[tokio::test]
async fn an_error_in_a_partial_names_the_partial() {
    let site = site("basic");
    site.write("partials/nav.html", "<nav>{% for %}</nav>");
    let html = site.get("/about").await.text();
    assert!(html.contains("partials/nav.html:1"), "{html}");
}

#[tokio::test]
async fn fixing_the_template_brings_the_page_back() {
    let site = site("basic");
    let good = String::from_utf8(site.read("pages/about.html")).unwrap();
    site.write("pages/about.html", "{% if %}");
    assert_eq!(
        site.get("/about").await.status,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    // Other pages are unaffected meanwhile.
    assert_eq!(site.get("/").await.status, StatusCode::OK);
    site.write("pages/about.html", &good);
    assert_eq!(site.get("/about").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_page_that_renders_past_the_size_limit_is_an_error_page_not_a_heap() {
    let site = site("basic");
    let line = "x".repeat(1000);
    site.write(
        "pages/huge.html",
        &format!("{{% for i in range(60000) %}}{line}\n{{% endfor %}}"),
    );
    let reply = site.get("/huge").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let html = reply.text();
    assert!(
        html.contains("more than 50 MB"),
        "{}",
        &html[..html.len().min(500)]
    );
    assert!(html.len() < 100_000);
    assert_eq!(site.get("/about").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_template_that_loops_away_stops_with_an_error() {
    let site = util::site_with("basic", |s| s.render_fuel = 1_000_000);
    site.write(
        "pages/forever.html",
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    );
    let reply = site.get("/forever").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        reply
            .text()
            .contains("more than 1000000 template instructions"),
        "{}",
        reply.text()
    );
    assert_eq!(site.get("/about").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_site_folder_moved_away_gets_a_page_that_says_so_and_comes_back_with_it() {
    let site = site("basic");
    let html = [("accept", "text/html")];
    assert_eq!(site.get_with("/", &html).await.status, StatusCode::OK);
    let away = site.dir.path().with_extension("away");
    std::fs::rename(site.dir.path(), &away).unwrap();
    for uri in ["/", "/about", "/style.css", "/nothing-here"] {
        let reply = site.get_with(uri, &html).await;
        assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE, "{uri}");
        let text = reply.text();
        assert!(text.contains("The site folder is gone"), "{uri}: {text}");
        assert!(
            text.contains("/__hotplate/"),
            "the runtime reloads it: {text}"
        );
    }
    std::fs::rename(&away, site.dir.path()).unwrap();
    let back = site.get_with("/", &html).await;
    assert_eq!(back.status, StatusCode::OK, "{}", back.text());
}

#[tokio::test]
async fn a_template_that_is_not_utf8_names_the_file() {
    let site = site("basic");
    std::fs::write(site.path("pages/about.html"), b"<p>caf\xe9</p>").unwrap();
    let reply = site.get("/about").await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    let html = reply.text();
    assert!(
        html.contains(r#"<p id="hotplate-error-file">pages/about.html</p>"#),
        "{html}"
    );
    assert!(
        html.contains("could not read the template pages/about.html"),
        "{html}"
    );
    assert!(html.contains("UTF-8"), "{html}");
}
