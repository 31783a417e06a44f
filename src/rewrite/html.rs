//! HTML on its way out, in one streaming pass of lol_html (whole, [`rewrite`], or as it
//! arrives, [`rewrite_stream`]):
//! 1. the client runtime tag goes in as the first thing in `<head>`; a document without a
//!    `<head>` gets it at the top of `<html>`, or at the very top (after any doctype);
//! 2. what the document loads is collected for the client graph: scripts (`<script src>`),
//!    stylesheets and module preloads (`<link rel=stylesheet|modulepreload href>`), and
//!    images (`src` and the URLs of `srcset` on `<img>` and `<source>`, `<video poster>`), and
//!    what inline `<script type=module>`s import (read with oxc, as served modules are);
//! 3. the specifiers a `<script type=importmap>` maps, which hotplate then leaves to the page.

use super::js;
use lol_html::html_content::ContentType;
use lol_html::{HtmlRewriter, RewriteStrSettings, Settings, element, end, rewrite_str, text};
use std::cell::RefCell;

/// The rewritten document and what it links.
#[derive(Debug, PartialEq, Eq)]
pub struct Rewritten {
    pub html: String,
    /// URLs of what the document loads, as written, in document order.
    pub references: Vec<String>,
    /// The specifiers its `<script type="importmap">` maps (see [`Loads::import_map`]).
    pub import_map: Vec<String>,
}

/// What a document loads, and what its import map maps.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Loads {
    /// URLs, as written, in document order.
    pub references: Vec<String>,
    /// The keys of its import maps' `imports` and `scopes`: bare specifiers (`react`) or
    /// prefixes (`lib/`) the page resolves itself, which hotplate leaves alone.
    pub import_map: Vec<String>,
}

/// `<link rel>` values whose `href` the document loads.
const LOADED_LINKS: [&str; 3] = ["stylesheet", "modulepreload", "icon"];

/// Injects `tag` (when given) and collects what the document loads.
pub fn rewrite(html: &str, tag: Option<&str>) -> Rewritten {
    rewrite_with_policy(html, tag, None)
}

/// [`rewrite`], with every `<meta http-equiv="Content-Security-Policy">` amended by
/// `amend_policy` (see [`super::csp`]).
pub fn rewrite_with_policy(
    html: &str,
    tag: Option<&str>,
    amend_policy: Option<&dyn Fn(&str) -> String>,
) -> Rewritten {
    let mut out = Vec::with_capacity(html.len() + tag.map_or(0, str::len));
    let rewritten = rewrite_chunks(
        std::iter::once(html.as_bytes()),
        tag,
        amend_policy,
        false,
        |chunk: &[u8]| out.extend_from_slice(chunk),
    );
    let (loads, injected) = match rewritten {
        Ok(done) => done,
        // lol_html only fails on memory limits or ambiguous parses; serve the page as it is.
        Err(err) => {
            tracing::warn!("could not rewrite a document: {err}");
            return Rewritten {
                html: html.to_string(),
                references: Vec::new(),
                import_map: Vec::new(),
            };
        }
    };
    let mut out = String::from_utf8_lossy(&out).into_owned();
    if let (false, Some(tag)) = (injected, tag) {
        out = inject_without_head(&out, tag);
    }
    Rewritten {
        html: out,
        references: loads.references,
        import_map: loads.import_map,
    }
}

/// [`rewrite_with_policy`] for a document that arrives in `chunks` and leaves through `sink` as
/// it goes, without waiting for its end. A document without `<head>` gets the tag before
/// `<body>`, or else at its end. Returns what the document loads.
pub fn rewrite_stream<C: AsRef<[u8]>>(
    chunks: impl IntoIterator<Item = C>,
    tag: &str,
    amend_policy: Option<&dyn Fn(&str) -> String>,
    sink: impl FnMut(&[u8]),
) -> Result<Loads, lol_html::errors::RewritingError> {
    rewrite_chunks(chunks, Some(tag), amend_policy, true, sink).map(|(loads, _)| loads)
}

/// The one lol_html pass behind both: returns what the document loads, and whether the tag
/// went in.
fn rewrite_chunks<C: AsRef<[u8]>>(
    chunks: impl IntoIterator<Item = C>,
    tag: Option<&str>,
    amend_policy: Option<&dyn Fn(&str) -> String>,
    streaming: bool,
    sink: impl FnMut(&[u8]),
) -> Result<(Loads, bool), lol_html::errors::RewritingError> {
    let references = RefCell::new(Vec::new());
    let inline = RefCell::new(String::new());
    let import_map_text = RefCell::new(String::new());
    let import_map = RefCell::new(Vec::new());
    let injected = RefCell::new(tag.is_none());
    let links = element!("link[href]", |el| {
        let rel = el
            .get_attribute("rel")
            .unwrap_or_default()
            .to_ascii_lowercase();
        if rel
            .split_ascii_whitespace()
            .any(|r| LOADED_LINKS.contains(&r))
            && let Some(href) = el.get_attribute("href")
        {
            references.borrow_mut().push(href);
        }
        Ok(())
    });
    let sources = element!("script[src], img[src], source[src], video[poster]", |el| {
        let name = if el.tag_name() == "video" {
            "poster"
        } else {
            "src"
        };
        if let Some(src) = el.get_attribute(name) {
            references.borrow_mut().push(src);
        }
        Ok(())
    });
    let inline_modules = text!("script[type=module]:not([src])", |chunk| {
        inline.borrow_mut().push_str(chunk.as_str());
        if chunk.last_in_text_node() {
            let source = inline.take();
            if let Ok(analysis) = js::analyze(&source) {
                references.borrow_mut().extend(
                    analysis
                        .specifiers
                        .into_iter()
                        .map(|s| s.text)
                        .filter(|s| js::names_a_path(s)),
                );
            }
        }
        Ok(())
    });
    let import_maps = text!("script[type=importmap]", |chunk| {
        import_map_text.borrow_mut().push_str(chunk.as_str());
        if chunk.last_in_text_node() {
            let text = import_map_text.take();
            import_map.borrow_mut().extend(import_map_keys(&text));
        }
        Ok(())
    });
    let srcsets = element!("img[srcset], source[srcset]", |el| {
        let srcset = el.get_attribute("srcset").unwrap_or_default();
        references.borrow_mut().extend(srcset_urls(&srcset));
        Ok(())
    });
    let into_head = element!("head", |el| {
        if !*injected.borrow()
            && let Some(tag) = tag
        {
            el.prepend(tag, ContentType::Html);
            *injected.borrow_mut() = true;
        }
        Ok(())
    });
    let policies = element!("meta[http-equiv][content]", |el| {
        let is_policy = el
            .get_attribute("http-equiv")
            .is_some_and(|v| v.eq_ignore_ascii_case("content-security-policy"));
        if let (true, Some(amend)) = (is_policy, amend_policy) {
            let policy = el.get_attribute("content").unwrap_or_default();
            el.set_attribute("content", &amend(&policy))?;
        }
        Ok(())
    });
    let before_body = element!("body", |el| {
        if !*injected.borrow()
            && let Some(tag) = tag
        {
            el.before(tag, ContentType::Html);
            *injected.borrow_mut() = true;
        }
        Ok(())
    });
    let at_end = end!(|end| {
        if !*injected.borrow()
            && let Some(tag) = tag
        {
            end.append(tag, ContentType::Html);
            *injected.borrow_mut() = true;
        }
        Ok(())
    });
    let mut settings = Settings::new()
        .append_element_content_handler(policies)
        .append_element_content_handler(links)
        .append_element_content_handler(sources)
        .append_element_content_handler(srcsets)
        .append_element_content_handler(inline_modules)
        .append_element_content_handler(import_maps)
        .append_element_content_handler(into_head);
    if streaming {
        settings = settings
            .append_element_content_handler(before_body)
            .append_document_content_handler(at_end);
    }
    let mut rewriter = HtmlRewriter::new(settings, sink);
    for chunk in chunks {
        rewriter.write(chunk.as_ref())?;
    }
    rewriter.end()?;
    let injected = *injected.borrow();
    let loads = Loads {
        references: references.take(),
        import_map: import_map.take(),
    };
    Ok((loads, injected))
}

/// The specifiers an import map's JSON maps: the keys of `imports` and of each scope. A map
/// that is not JSON maps nothing (the browser ignores it too).
fn import_map_keys(json: &str) -> Vec<String> {
    let Ok(map) = serde_json::from_str::<serde_json::Value>(json) else {
        return Vec::new();
    };
    let imports = map["imports"].as_object().into_iter();
    let scopes = map["scopes"]
        .as_object()
        .into_iter()
        .flat_map(|scopes| scopes.values().filter_map(|scope| scope.as_object()));
    imports
        .chain(scopes)
        .flat_map(|entries| entries.keys().cloned())
        .collect()
}

/// The URLs of a `srcset`: each candidate is a URL, then optionally a width or density.
fn srcset_urls(srcset: &str) -> Vec<String> {
    srcset
        .split(',')
        .filter_map(|candidate| candidate.split_ascii_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// A document without `<head>`: the tag goes first inside `<html>`, where the parser puts it in
/// the implied head, or else at the top, after the doctype so as not to trigger quirks mode.
fn inject_without_head(html: &str, tag: &str) -> String {
    let done = RefCell::new(false);
    let into_html = element!("html", |el| {
        el.prepend(tag, ContentType::Html);
        *done.borrow_mut() = true;
        Ok(())
    });
    let out = rewrite_str(
        html,
        RewriteStrSettings::new().append_element_content_handler(into_html),
    )
    .unwrap_or_else(|_| html.to_string());
    if done.into_inner() {
        return out;
    }
    let trimmed = html.trim_start();
    let skip = html.len() - trimmed.len();
    let doctype_end = trimmed
        .get(..9)
        .filter(|start| start.eq_ignore_ascii_case("<!doctype"))
        .and_then(|_| trimmed.find('>'))
        .map(|end| skip + end + 1);
    match doctype_end {
        Some(end) => format!("{}{tag}{}", &html[..end], &html[end..]),
        None => format!("{tag}{html}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TAG: &str = r#"<script type="module" src="/__hotplate/client.js"></script>"#;

    #[test]
    fn the_runtime_is_the_first_thing_in_head() {
        let out = rewrite(
            "<!doctype html><html><head><title>t</title></head><body></body></html>",
            Some(TAG),
        );
        assert_eq!(
            out.html,
            format!("<!doctype html><html><head>{TAG}<title>t</title></head><body></body></html>")
        );
    }

    #[test]
    fn without_head_it_goes_at_the_top_of_html() {
        let out = rewrite(
            "<!DOCTYPE html><html lang=en><body>x</body></html>",
            Some(TAG),
        );
        assert_eq!(
            out.html,
            format!("<!DOCTYPE html><html lang=en>{TAG}<body>x</body></html>")
        );
    }

    #[test]
    fn without_html_it_goes_after_the_doctype_or_at_the_very_top() {
        assert_eq!(
            rewrite("<!doctype html>\n<p>x</p>", Some(TAG)).html,
            format!("<!doctype html>{TAG}\n<p>x</p>")
        );
        assert_eq!(
            rewrite("<p>x</p>", Some(TAG)).html,
            format!("{TAG}<p>x</p>")
        );
    }

    #[test]
    fn only_the_first_head_gets_the_runtime() {
        let out = rewrite("<head></head><svg><head></head></svg>", Some(TAG));
        assert_eq!(out.html.matches(TAG).count(), 1);
    }

    #[test]
    fn what_the_document_loads_is_collected() {
        let out = rewrite(
            r#"<head><link rel="stylesheet" href="/main.css?v=1"><link rel="canonical" href="/x"><link rel="Alternate StyleSheet" href="alt.css"><link rel="modulepreload" href="/lib.js"><script type="module" src="/app.js"></script></head>
<body><img src="a.png" srcset="a-2x.png 2x, /b.png 800w"><picture><source srcset="c.webp"></picture><video poster="p.jpg"></video><a href="/page">x</a>
<script type="module">import { start } from './inline.js'; import 'bare'; start(await import(name));</script>
<script>import('./classic-is-not-read.js')</script></body>"#,
            None,
        );
        assert_eq!(
            out.references,
            vec![
                "/main.css?v=1",
                "alt.css",
                "/lib.js",
                "/app.js",
                "a.png",
                "a-2x.png",
                "/b.png",
                "c.webp",
                "p.jpg",
                "./inline.js"
            ]
        );
        assert!(!out.html.contains("__hotplate"));
    }

    #[test]
    fn an_import_map_s_keys_are_read_from_imports_and_scopes() {
        let html = r#"<html><head><script type="importmap">
            { "imports": { "react": "https://esm.sh/react", "lib/": "/vendor/lib/" },
              "scopes": { "/admin/": { "chart": "/vendor/chart.js" } } }
        </script><script type="importmap">not json</script></head><body></body></html>"#;
        let out = rewrite(html, Some(TAG));
        assert_eq!(out.import_map, ["react", "lib/", "chart"]);
        assert!(out.references.is_empty());
    }
}
