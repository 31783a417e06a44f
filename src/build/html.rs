//! The references of a built page, read and rewritten in one lol_html pass ([`visit`]).
//!
//! Every URL a page names is handed to the caller with its [`Role`], which says what the build
//! does with it: a link is crawled, a module script is bundled, a stylesheet is compiled, and
//! anything else the page loads gets a fingerprint. The caller answers with the URL to write in
//! its place (and, for a module script, the tags that go before it: its chunks' preloads and its
//! stylesheets), or leaves it alone. The crawl reads a page with the same pass, answering
//! nothing, so what is crawled is exactly what is rewritten.
//!
//! Read: `a`/`area` `href`; `script` `src`; `link` `href` (stylesheets, icons, preloads);
//! `img`, `source`, `video`, `audio`, `track`, `embed`, `input[type=image]` `src`; `srcset`;
//! `video` `poster`; `object` `data`; and the `url()`s and `@import`s of `style` attributes and
//! `<style>` elements. A value that [`super::assets::marker`] wrapped (what `asset()` returned)
//! counts as the URL inside it.

use super::assets::unwrap_marker;
use crate::rewrite::css;
use lol_html::html_content::{ContentType, Element};
use lol_html::{RewriteStrSettings, element, rewrite_str, text};
use std::cell::RefCell;

/// What a page uses a URL for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    /// `<a href>`, `<area href>`: another page to crawl, or a file copied under its own name.
    Link,
    /// `<script type=module src>` or `<link rel=modulepreload>`: an entry the script stage
    /// bundles.
    Module,
    /// `<link rel=stylesheet>`, or an `@import` in a `<style>` element.
    Stylesheet,
    /// Anything else the page loads: a classic script, an image, an icon, a font, a preload.
    Asset,
}

/// What to write instead of a URL.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Replacement {
    pub url: String,
    /// HTML that goes right before the element (a module entry's stylesheets and preloads, in a
    /// document without a `<head>`).
    pub before: String,
}

impl Replacement {
    pub fn url(url: impl Into<String>) -> Replacement {
        Replacement {
            url: url.into(),
            before: String::new(),
        }
    }
}

/// `<link rel>` values that load what they name (others, like `canonical`, are links).
const LOADED_RELS: [&str; 7] = [
    "stylesheet",
    "icon",
    "apple-touch-icon",
    "modulepreload",
    "preload",
    "prefetch",
    "manifest",
];

/// Passes every URL `html` names to `each`, and writes what it answers in the URL's place.
/// A wrapped value (`asset()`'s marker) that `each` leaves alone is written plain.
pub fn visit(
    html: &str,
    each: impl FnMut(&str, Role) -> Option<Replacement>,
) -> Result<String, String> {
    visit_with_head(html, "", each).map(|(html, _)| html)
}

/// [`visit`], with `head` (tags) appended to the document's `<head>`; says whether it had one.
pub fn visit_with_head(
    html: &str,
    head: &str,
    each: impl FnMut(&str, Role) -> Option<Replacement>,
) -> Result<(String, bool), String> {
    let head_seen = std::cell::Cell::new(false);
    let each = RefCell::new(each);
    let answer = |value: &str, role: Role| -> Option<Replacement> {
        let url = unwrap_marker(value).unwrap_or(value);
        let answered = (each.borrow_mut())(url, role);
        answered.or_else(|| (url != value).then(|| Replacement::url(url)))
    };
    let attribute = |el: &mut Element, name: &str, role: Role| {
        if let Some(value) = el.get_attribute(name)
            && let Some(new) = answer(&value, role)
        {
            let _ = el.set_attribute(name, &new.url);
            if !new.before.is_empty() {
                el.before(&new.before, ContentType::Html);
            }
        }
    };
    let srcset = |el: &mut Element| {
        if let Some(value) = el.get_attribute("srcset") {
            let rewritten = rewrite_srcset(&value, |url| answer(url, Role::Asset).map(|r| r.url));
            if rewritten != value {
                let _ = el.set_attribute("srcset", &rewritten);
            }
        }
    };
    let inline_css = |source: &str| -> String {
        let (references, _) = css::analyze_deep(source);
        let roles: Vec<Role> = references
            .iter()
            .map(|r| match r.kind {
                css::Kind::Import => Role::Stylesheet,
                css::Kind::Asset => Role::Asset,
            })
            .collect();
        let order = RefCell::new(roles.into_iter());
        css::rewrite(source, &references, |url| {
            let role = order.borrow_mut().next().unwrap_or(Role::Asset);
            answer(url, role).map(|r| r.url)
        })
    };
    let style_text = RefCell::new(String::new());
    let handlers = vec![
        element!("head", |el| {
            if !head_seen.replace(true) && !head.is_empty() {
                el.append(head, ContentType::Html);
            }
            Ok(())
        }),
        element!("a[href], area[href]", |el| {
            attribute(el, "href", Role::Link);
            Ok(())
        }),
        element!("link[href]", |el| {
            let rel = el
                .get_attribute("rel")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let rels: Vec<&str> = rel.split_ascii_whitespace().collect();
            if rels.contains(&"stylesheet") {
                attribute(el, "href", Role::Stylesheet);
            } else if rels.contains(&"modulepreload") {
                // A module: preloading it is loading its chunk.
                attribute(el, "href", Role::Module);
            } else if rels.iter().any(|r| LOADED_RELS.contains(r)) {
                attribute(el, "href", Role::Asset);
            }
            Ok(())
        }),
        element!("script[src]", |el| {
            let module = el
                .get_attribute("type")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("module"));
            let role = if module { Role::Module } else { Role::Asset };
            attribute(el, "src", role);
            Ok(())
        }),
        element!(
            "img[src], source[src], video[src], audio[src], track[src], embed[src], \
                     input[src], iframe[src]",
            |el| {
                let role = if el.tag_name() == "iframe" {
                    Role::Link
                } else {
                    Role::Asset
                };
                attribute(el, "src", role);
                Ok(())
            }
        ),
        element!("img[srcset], source[srcset]", |el| {
            srcset(el);
            Ok(())
        }),
        element!("video[poster]", |el| {
            attribute(el, "poster", Role::Asset);
            Ok(())
        }),
        element!("object[data]", |el| {
            attribute(el, "data", Role::Asset);
            Ok(())
        }),
        element!("[style]", |el| {
            if let Some(style) = el.get_attribute("style") {
                let rewritten = inline_css(&style);
                if rewritten != style {
                    let _ = el.set_attribute("style", &rewritten);
                }
            }
            Ok(())
        }),
        text!("style", |chunk| {
            style_text.borrow_mut().push_str(chunk.as_str());
            if chunk.last_in_text_node() {
                let source = style_text.take();
                chunk.replace(&inline_css(&source), ContentType::Html);
            } else {
                chunk.remove();
            }
            Ok(())
        }),
    ];
    let settings = handlers
        .into_iter()
        .fold(RewriteStrSettings::new(), |settings, handler| {
            settings.append_element_content_handler(handler)
        });
    let written = rewrite_str(html, settings).map_err(|err| err.to_string())?;
    Ok((written, head_seen.get()))
}

/// The text of each `<script type="module">` without a `src`, in document order.
pub fn inline_modules(html: &str) -> Vec<String> {
    let found = RefCell::new(Vec::new());
    let current = RefCell::new(String::new());
    let settings = RewriteStrSettings::new().append_element_content_handler(text!(
        "script[type=module]:not([src])",
        |chunk| {
            current.borrow_mut().push_str(chunk.as_str());
            if chunk.last_in_text_node() {
                found.borrow_mut().push(current.take());
            }
            Ok(())
        }
    ));
    let _ = rewrite_str(html, settings);
    found.into_inner()
}

/// `html` with the `n`th inline module script (counted as [`inline_modules`] counts them)
/// loading `srcs[n]` instead of its text (with its `before` tags), where that is given.
pub fn externalize(html: &str, srcs: &[Option<Replacement>]) -> String {
    let n = std::cell::Cell::new(0);
    let settings = RewriteStrSettings::new().append_element_content_handler(element!(
        "script[type=module]:not([src])",
        |el| {
            let i = n.replace(n.get() + 1);
            if let Some(Some(src)) = srcs.get(i) {
                el.set_attribute("src", &src.url)?;
                el.set_inner_content("", ContentType::Text);
                if !src.before.is_empty() {
                    el.before(&src.before, ContentType::Html);
                }
            }
            Ok(())
        }
    ));
    rewrite_str(html, settings).unwrap_or_else(|_| html.to_string())
}

/// `srcset` with each candidate's URL replaced where `replace` answers.
fn rewrite_srcset(value: &str, replace: impl Fn(&str) -> Option<String>) -> String {
    value
        .split(',')
        .map(|candidate| {
            let trimmed = candidate.trim();
            let (url, descriptor) = trimmed
                .split_once(char::is_whitespace)
                .map_or((trimmed, ""), |(u, d)| (u, d.trim()));
            let url = replace(url).unwrap_or_else(|| url.to_string());
            if descriptor.is_empty() {
                url
            } else {
                format!("{url} {descriptor}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(html: &str) -> Vec<(String, Role)> {
        let mut found = Vec::new();
        visit(html, |url, role| {
            found.push((url.to_string(), role));
            None
        })
        .unwrap();
        found
    }

    #[test]
    fn every_kind_of_reference_is_read_with_what_it_is_for() {
        let html = r#"<html><head>
            <link rel="stylesheet" href="/style.css?v=1">
            <link rel="icon" href="/favicon.svg">
            <link rel="canonical" href="https://example.com/">
            <script type="module" src="/src/main.ts"></script>
            <script src="/legacy.js"></script>
            <style>@import "/more.css"; body { background: url(/bg.png) }</style>
            </head><body>
            <a href="/about">About</a>
            <img src="/a.png" srcset="/a-1x.png 1x, /a-2x.png 2x">
            <video poster="/poster.jpg"></video>
            <div style="background-image: url('/tile.png')"></div>
            </body></html>"#;
        assert_eq!(
            named(html),
            [
                ("/style.css?v=1", Role::Stylesheet),
                ("/favicon.svg", Role::Asset),
                ("/src/main.ts", Role::Module),
                ("/legacy.js", Role::Asset),
                ("/more.css", Role::Stylesheet),
                ("/bg.png", Role::Asset),
                ("/about", Role::Link),
                ("/a.png", Role::Asset),
                ("/a-1x.png", Role::Asset),
                ("/a-2x.png", Role::Asset),
                ("/poster.jpg", Role::Asset),
                ("/tile.png", Role::Asset),
            ]
            .map(|(u, r)| (u.to_string(), r))
        );
    }

    #[test]
    fn answered_urls_are_written_in_place_and_modules_get_their_tags_before_them() {
        let html = r#"<link rel="stylesheet" href="/style.css?v=1"><img srcset="/a.png 2x"><script type="module" src="/main.ts"></script><a href="/x">x</a>"#;
        let out = visit(html, |url, role| match (url, role) {
            ("/style.css?v=1", _) => Some(Replacement::url("/style.12345678.css")),
            ("/a.png", _) => Some(Replacement::url("/a.87654321.png")),
            ("/main.ts", Role::Module) => Some(Replacement {
                url: "/main.abcdef01.js".into(),
                before: r#"<link rel="modulepreload" href="/chunk.js">"#.into(),
            }),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            out,
            r#"<link rel="stylesheet" href="/style.12345678.css"><img srcset="/a.87654321.png 2x"><link rel="modulepreload" href="/chunk.js"><script type="module" src="/main.abcdef01.js"></script><a href="/x">x</a>"#
        );
    }

    #[test]
    fn inline_module_scripts_are_read_in_order_and_can_load_a_file_instead() {
        let html = "<script type=\"module\">import './a.ts'</script><script>classic()</script>\
                    <script type=\"module\" src=\"/b.ts\"></script><script type=\"module\">2</script>";
        assert_eq!(inline_modules(html), ["import './a.ts'", "2"]);
        assert_eq!(
            externalize(
                html,
                &[
                    Some(Replacement {
                        url: "/index-inline0.12345678.js".into(),
                        before: "<link rel=\"stylesheet\" href=\"/a.css\">".into(),
                    }),
                    None
                ]
            ),
            "<link rel=\"stylesheet\" href=\"/a.css\"><script type=\"module\" src=\"/index-inline0.12345678.js\"></script><script>classic()</script>\
             <script type=\"module\" src=\"/b.ts\"></script><script type=\"module\">2</script>"
        );
    }

    #[test]
    fn tags_for_the_head_go_at_its_end() {
        let (out, had) = visit_with_head(
            "<html><head><title>t</title></head><body></body></html>",
            "<link rel=\"modulepreload\" href=\"/a.js\">",
            |_, _| None,
        )
        .unwrap();
        assert!(had);
        assert_eq!(
            out,
            "<html><head><title>t</title><link rel=\"modulepreload\" href=\"/a.js\"></head><body></body></html>"
        );
        let (_, had) = visit_with_head("<p>no head</p>", "<link>", |_, _| None).unwrap();
        assert!(!had);
    }

    #[test]
    fn a_wrapped_url_is_read_as_the_url_inside_and_written_plain_when_left_alone() {
        let html = format!(
            r#"<link rel="stylesheet" href="{}">"#,
            super::super::assets::marker("/style.css")
        );
        assert_eq!(named(&html), [("/style.css".to_string(), Role::Stylesheet)]);
        assert_eq!(
            visit(&html, |_, _| None).unwrap(),
            r#"<link rel="stylesheet" href="/style.css">"#
        );
    }
}
