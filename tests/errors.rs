//! Bad input gets a clear error and the server goes on.
//!
//! - A template with a syntax error, or a missing include, renders a 500 page that names the
//!   file and line and shows the code around it.
//! - Fixing the file brings the page back.

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
