//! Nothing a file contains may crash the server.
//!
//! - A deeply nested module (1,000 nested callbacks took a 2 MiB tokio worker's stack) is
//!   analyzed on the pool's large stack, when it is requested and when it is saved.
//! - A module nested deeper than hotplate analyzes is served as it is, and the overlay says
//!   why; the server goes on answering.
//! - Generated nesting of every shape, in JS and CSS, never aborts the process.
//! - A module too big to rewrite (over 50 MB) is streamed as it is, never read whole.
//! - A stylesheet nested deeper than hotplate follows is served as it is, with a warning.
//! - A static page that is not UTF-8 (Latin-1) is served byte for byte, without the runtime.

mod util;
use hotplate::testing::base::{Change, ChangeBatch, ChangeKind, SitePath};
use hotplate::testing::rewrite::{css, js};
use proptest::prelude::*;
use util::site;

fn saved(path: &str) -> ChangeBatch {
    ChangeBatch {
        changes: vec![Change {
            path: SitePath::new(path),
            kind: ChangeKind::Modified,
        }],
        rescan: false,
        ..Default::default()
    }
}

fn callbacks(depth: usize) -> String {
    format!(
        "import.meta.hot.accept();\nf({}1{});\n",
        "() => f(".repeat(depth),
        ")".repeat(depth)
    )
}

#[tokio::test]
async fn a_thousand_nested_callbacks_are_served_and_saved_with_hot_updates() {
    let site = site("modules");
    site.write("self/main.js", &callbacks(1000));
    let reply = site.get("/self/main.js").await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.text().starts_with("import { createHotContext"),
        "analyzed: it got its prologue"
    );
    let mut events = site.events(&[]).await;
    events.next_named("hello").await;
    site.write("self/main.js", &callbacks(1500));
    hotplate::testing::pipeline::react(&site.app, &saved("self/main.js"));
    let update = events.next_named("update").await.json();
    assert_eq!(update["updates"][0]["path"], "/self/main.js");
}

#[tokio::test]
async fn a_module_nested_too_deep_to_analyze_is_served_as_it_is_with_a_warning() {
    let site = site("modules");
    let deep = format!(
        "export const x = {}1{};\n",
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    site.write("self/main.js", &deep);
    let mut events = site.events(&[]).await;
    events.next_named("hello").await;
    let reply = site.get("/self/main.js").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), deep, "served byte for byte");
    let warning = events.next_named("error").await.json();
    assert_eq!(warning["file"], "self/main.js");
    assert!(
        warning["message"].as_str().unwrap().contains("levels deep"),
        "{warning}"
    );
    // Saving it again neither crashes nor holds anything back.
    hotplate::testing::pipeline::react(&site.app, &saved("self/main.js"));
    assert_eq!(site.get("/self/").await.status, 200, "the server goes on");
}

#[tokio::test]
async fn a_deeply_nested_module_that_globs_or_a_css_module_nested_too_deep_is_an_answer_not_a_crash()
 {
    let site = site("modules");
    let deep = format!(
        "const pages = import.meta.glob('./*.js');\nexport const x = {}1{};\n",
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    site.write("self/main.js", &deep);
    let reply = site.get("/self/main.js").await;
    assert_eq!(reply.status, 200);
    let css = format!("{}{}", ".a { ".repeat(200_000), "} ".repeat(200_000));
    site.write("self/card.module.css", &css);
    let reply = site.get("/self/card.module.css?import").await;
    assert_eq!(reply.status, 200);
    assert!(
        reply.text().contains("blocks deep"),
        "a module that throws why"
    );
    assert_eq!(site.get("/self/").await.status, 200, "the server goes on");
}

/// Nested JS of one shape, `depth` levels deep.
fn nested_js(shape: usize, depth: usize) -> String {
    let (open, middle, close) = [
        ("f(() => ", "1", ")"),
        ("[", "1", "]"),
        ("(", "1", ")"),
        ("{", "", "}"),
        ("if (a) {} else ", "x;", ""),
        ("if (a) ", "x;", ""),
        ("a ? b : ", "1", ""),
        ("!", "1", ""),
        ("a => ", "1", ""),
        ("a = ", "1", ""),
        ("for (;;) ", "x;", ""),
        ("`${", "1", "}`"),
        ("{a: ", "1", "}"),
        ("a ** ", "1", ""),
        ("new ", "a", ""),
        ("a + ", "1", ""),
        ("a.", "b", ""),
        ("l: ", "x;", ""),
        ("- ", "1", ""),
        ("typeof ", "a", ""),
        ("a(", "", ")"),
        ("class A extends (", "B", ") {}"),
        ("while (1) ", "x;", ""),
        ("async () => await ", "1", ""),
    ][shape % 24];
    let head = if matches!(open.chars().next(), Some('{' | 'i' | 'f' | 'l' | 'w' | 'c')) {
        ""
    } else {
        "x = "
    };
    format!(
        "{head}{}{middle}{}",
        open.repeat(depth),
        close.repeat(depth)
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever shape and depth, analysis answers (a result or a refusal) and never aborts.
    #[test]
    fn deeply_nested_javascript_never_aborts(shape in 0usize..24, depth in 1usize..60_000) {
        let source = nested_js(shape, depth);
        match js::analyze(&source) {
            Ok(_) | Err(js::AnalysisError::Syntax(_)) => {}
            Err(js::AnalysisError::Refused(reason)) => prop_assert!(reason.contains("deep")),
            Err(js::AnalysisError::Unsupported(reason)) => {
                prop_assert!(false, "plain JavaScript is always supported: {}", reason)
            }
        }
    }

    /// Nested blocks, functions and brackets in a stylesheet never abort either, and a
    /// reference outside them is still found.
    #[test]
    fn deeply_nested_css_never_aborts(kind in 0usize..4, depth in 1usize..200_000) {
        let (open, close) = [("(", ")"), ("{", "}"), ("[", "]"), ("a(", ")")][kind];
        let source = format!(
            "@import \"a.css\";\nx {}url(b.png){}",
            open.repeat(depth),
            close.repeat(depth)
        );
        let found = css::analyze(&source);
        prop_assert_eq!(&found[0].url, "a.css");
    }
}

#[tokio::test]
async fn a_module_too_big_to_rewrite_is_streamed_as_it_is() {
    let site = site("modules");
    let big = hotplate::testing::rewrite::MAX_REWRITTEN as usize + 1;
    let mut source = "import.meta.hot.accept();\n".to_string();
    source.push_str(&"/".repeat(big - source.len()));
    site.write("self/main.js", &source);
    let reply = site.get("/self/main.js").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body.len(), big);
    assert!(
        reply.body.starts_with(b"import.meta.hot.accept();"),
        "no prologue"
    );
}

#[tokio::test]
async fn a_stylesheet_nested_too_deep_is_served_as_it_is_with_a_warning() {
    let site = site("modules");
    let deep = format!(
        "a {{ b: x{}y{} }}\n",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    site.write("styles/base.css", &deep);
    let mut events = site.events(&[]).await;
    events.next_named("hello").await;
    let reply = site.get("/styles/base.css").await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.text(), deep, "served byte for byte");
    let warning = events.next_named("error").await.json();
    assert_eq!(warning["file"], "styles/base.css");
    assert!(
        warning["message"].as_str().unwrap().contains("blocks deep"),
        "{warning}"
    );
    // Made shallow again, the warning goes.
    site.write("styles/base.css", "a { color: red; }\n");
    assert_eq!(site.get("/styles/base.css").await.status, 200);
    events.next_named("error-clear").await;
}

#[tokio::test]
async fn a_static_page_in_another_encoding_is_served_byte_for_byte() {
    let site = site("modules");
    let page = b"<!doctype html><meta charset=iso-8859-1><p>caf\xe9 cr\xe8me</p>".to_vec();
    std::fs::write(site.path("latin1.html"), &page).unwrap();
    let reply = site
        .get_with("/latin1.html", &[("accept", "text/html")])
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, page, "read as UTF-8 it would lose its letters");
}
