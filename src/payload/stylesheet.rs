//! A stylesheet's new text for its `update` message.
//!
//! The page swaps a stylesheet with no request when the message brings its rules: it empties
//! the `<link>`'s own sheet and inserts them (`client/css.js`), so the sheet keeps its place
//! in the cascade, its `media`, and what `link.sheet` finds, and no frame is drawn without it.
//! The text is what the server would answer for the stylesheet (a changed `@import` or
//! `url()` stamped with `?t=`), with every reference made absolute: rules inserted into a sheet
//! must not depend on where the page thinks they came from.

use crate::base::{SitePath, with_timestamp};
use crate::graph::Graph;
use crate::rewrite::css;
use crate::settings::Settings;
use crate::site::route;

/// The largest stylesheet whose text rides in its update (the bound); a bigger one is
/// fetched by the page, as before.
pub const MAX_TEXT: u64 = 256 * 1024;

/// The rules of the stylesheet `site`, served at the URL path `url`, as the page is to apply
/// them: `None` when the file is gone, too big, not UTF-8, or nested deeper than hotplate
/// follows (the page fetches it then).
pub fn rules(
    settings: &Settings,
    graph: &Graph,
    url: &str,
    site: &SitePath,
) -> Option<Vec<String>> {
    let file = settings.root.join(site.as_str());
    if std::fs::metadata(&file).ok()?.len() > MAX_TEXT {
        return None;
    }
    let source = String::from_utf8(std::fs::read(&file).ok()?).ok()?;
    let text = absolute_text(settings, graph, url, &source)?;
    Some(css::rules(&text).into_iter().map(str::to_string).collect())
}

/// `source`, the stylesheet served at `url`, with each `@import` and `url()` absolute, and
/// stamped when a hot update made its file stale.
fn absolute_text(settings: &Settings, graph: &Graph, url: &str, source: &str) -> Option<String> {
    let (references, too_deep) = css::analyze_deep(source);
    if too_deep {
        return None;
    }
    let named = route::name_all(settings, url, references.iter().map(|r| r.url.as_str()));
    Some(css::rewrite(source, &references, |href| {
        let written = absolute(url, href);
        let timestamp = named
            .files
            .get(href)
            .map_or(0, |import| graph.timestamp(&import.file));
        match (written, timestamp) {
            (written, 0) => written,
            (written, timestamp) => Some(with_timestamp(
                written.as_deref().unwrap_or(href),
                timestamp,
            )),
        }
    }))
}

/// `href`, written in the stylesheet at the URL path `base`, as a path from the site's root
/// (its query and fragment kept); `None` when it is one already, or names another site, a
/// `data:` URL or a fragment.
fn absolute(base: &str, href: &str) -> Option<String> {
    if route::has_scheme(href) || href.is_empty() || href.starts_with(['/', '#']) {
        return None;
    }
    let folder = &base[..base.rfind('/').map_or(0, |i| i + 1)];
    Some(format!("{folder}{href}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(files: &[(&str, &str)]) -> (tempfile::TempDir, Settings) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let settings = Settings::for_root(dir.path()).unwrap();
        (dir, settings)
    }

    #[test]
    fn references_are_made_absolute_and_the_stale_ones_stamped() {
        let (_dir, settings) = settings(&[
            (
                "css/main.css",
                "@import 'base.css' screen;\nbody { background: url(../img/bg.png?x=1#a), url(data:image/png;base64,AA), url(/top.svg) }\na { b: url(https://e.org/f.png) }",
            ),
            ("css/base.css", "p { }"),
            ("img/bg.png", "png"),
            ("top.svg", "<svg/>"),
        ]);
        let mut graph = Graph::new();
        graph.apply(crate::graph::Record::Module {
            file: SitePath::new("css/main.css"),
            url: "/css/main.css".into(),
            imports: vec![crate::graph::Import {
                file: SitePath::new("css/base.css"),
                url: "/css/base.css".into(),
            }],
            accepts: Default::default(),
            missing: Default::default(),
            globs: Vec::new(),
            cache_busted: false,
        });
        graph.stamp(&SitePath::new("css/base.css"), 7);
        let rules = rules(
            &settings,
            &graph,
            "/css/main.css",
            &SitePath::new("css/main.css"),
        )
        .unwrap();
        assert_eq!(
            rules,
            vec![
                "@import \"/css/base.css?t=7\" screen;",
                "body { background: url(\"/css/../img/bg.png?x=1#a\"), url(data:image/png;base64,AA), url(/top.svg) }",
                "a { b: url(https://e.org/f.png) }",
            ]
        );
    }

    #[test]
    fn a_big_stylesheet_is_fetched_instead() {
        let big = "a { color: red }\n".repeat(MAX_TEXT as usize / 16);
        let (_dir, settings) = settings(&[("big.css", &big), ("small.css", "a { color: red }")]);
        let graph = Graph::new();
        assert!(rules(&settings, &graph, "/big.css", &SitePath::new("big.css")).is_none());
        assert!(rules(&settings, &graph, "/small.css", &SitePath::new("small.css")).is_some());
        assert!(rules(&settings, &graph, "/gone.css", &SitePath::new("gone.css")).is_none());
    }
}
