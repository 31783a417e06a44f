//! HTML on its way out, in one streaming pass of lol_html (whole, [`rewrite_with_policy`], or as it
//! arrives, piece by piece, [`Rewriter`]), holding at most [`BUFFER_LIMIT`] of it:
//! 1. the client runtime tag goes in as the first thing in `<head>`; a document without a
//!    `<head>` gets it at the top of `<html>`, or at the very top (after any doctype);
//! 2. what the document loads is collected for the client graph: scripts (`<script src>`),
//!    stylesheets and module preloads (`<link rel=stylesheet|modulepreload href>`), and
//!    images (`src` and the URLs of `srcset` on `<img>` and `<source>`, `<video poster>`), and
//!    what inline `<script type=module>`s import (read with oxc, as served modules are);
//! 3. the specifiers a `<script type=importmap>` maps, which hotplate then leaves to the page;
//! 4. with an [`InlineModules`] rewrite, the text of each inline `<script type=module>` is
//!    replaced by what it gives (its bare imports written as URLs, as in a served module).

use super::js;
use lol_html::html_content::ContentType;
use lol_html::{MemorySettings, RewriteStrSettings, element, end, rewrite_str, text};
use std::cell::RefCell;
use std::sync::{Arc, Mutex, PoisonError};

/// The rewritten document and what it links.
#[derive(Debug, PartialEq, Eq)]
pub struct Rewritten {
    pub html: String,
    /// URLs of what the document loads, as written, in document order.
    pub references: Vec<String>,
    /// The specifiers its `<script type="importmap">` maps (see [`Loads::import_map`]).
    pub import_map: Vec<String>,
    /// Why the rewriter gave up part way, if it did ([`Rewriter::gave_up`]).
    pub gave_up: Option<String>,
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
#[cfg(any(test, feature = "testing"))]
pub fn rewrite(html: &str, tag: Option<&str>) -> Rewritten {
    rewrite_with_policy(html, tag, None, None)
}

/// Injects `tag` (when given) and collects what the document loads, with every
/// `<meta http-equiv="Content-Security-Policy">` amended by `amend_policy` (see
/// [`super::csp`]).
pub fn rewrite_with_policy(
    html: &str,
    tag: Option<&str>,
    amend_policy: Option<Amend>,
    inline: Option<InlineModules>,
) -> Rewritten {
    let mut rewriter = Rewriter::new(tag.map(str::to_string), amend_policy, false, inline);
    let mut out = rewriter.write(html.as_bytes());
    let ended = rewriter.end();
    out.extend_from_slice(&ended.html);
    let mut out = String::from_utf8_lossy(&out).into_owned();
    if let (false, Some(tag)) = (ended.injected, tag) {
        out = inject_without_head(&out, tag);
    }
    Rewritten {
        html: out,
        references: ended.loads.references,
        import_map: ended.loads.import_map,
        gave_up: ended.gave_up,
    }
}

/// Rewrites a `<meta>` Content-Security-Policy's value for the runtime.
pub type Amend = Box<dyn Fn(&str) -> String + Send>;

/// Rewrites the text of an inline `<script type=module>`, given the specifiers the document's
/// import maps map so far (left to the page); `None` leaves it as it is.
pub type InlineModules = Arc<dyn Fn(&str, &[String]) -> Option<String> + Send + Sync>;

/// The most the HTML rewriter may hold of a document while it waits for the end of a tag (an
/// attribute that never ends, say). Past it the rewriter gives up: what it held, and the rest
/// of the document, go out as they came.
pub const BUFFER_LIMIT: usize = 4 << 20;

/// The most of one inline module or import map that is kept to be read; a longer one is not
/// read (what it imports is not recorded).
pub const INLINE_LIMIT: usize = 1 << 20;

/// One lol_html pass over a document that arrives in pieces: [`Rewriter::write`] each piece as
/// it comes (each call may run on another thread) and send on what it returns, then
/// [`Rewriter::end`]. A streamed document without `<head>` gets the tag before `<body>`, or
/// else at its end.
///
/// It never holds more than [`BUFFER_LIMIT`] of the document: past that (one tag or attribute
/// that does not end) it gives up, and the rest passes through as it came
/// ([`Rewriter::gave_up`] says why).
pub struct Rewriter {
    lol: Option<lol_html::send::HtmlRewriter<'static, Sink>>,
    out: Arc<Mutex<Vec<u8>>>,
    seen: Arc<Mutex<Seen>>,
    gave_up: Option<String>,
}

/// What a [`Rewriter`] returns at the end.
pub struct Ended {
    /// The last of the output.
    pub html: Vec<u8>,
    pub loads: Loads,
    /// Whether the tag went in.
    pub injected: bool,
    /// Why the rewriter gave up, when it did.
    pub gave_up: Option<String>,
}

/// What the handlers note as the document passes.
#[derive(Default)]
struct Seen {
    references: Vec<String>,
    /// The inline module read so far, unless it grew past [`INLINE_LIMIT`].
    inline: Option<String>,
    /// With an [`InlineModules`] rewrite: whether the inline module's chunks are held back
    /// (removed, to go out rewritten with its last chunk) rather than passed on, and what was
    /// held of it so far (up to [`INLINE_LIMIT`]).
    holding: bool,
    held: String,
    import_map_text: Option<String>,
    import_map: Vec<String>,
    injected: bool,
}

/// Where lol_html writes: a buffer the rewriter empties after each piece.
struct Sink(Arc<Mutex<Vec<u8>>>);

impl lol_html::OutputSink for Sink {
    fn handle_chunk(&mut self, chunk: &[u8]) {
        lock(&self.0).extend_from_slice(chunk);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Appends `chunk` to `text` unless that would pass [`INLINE_LIMIT`], in which case the text
/// is dropped for good (`None`) until the node ends.
fn keep_inline(text: &mut Option<String>, chunk: &str) {
    if let Some(kept) = text {
        if kept.len() + chunk.len() > INLINE_LIMIT {
            *text = None;
        } else {
            kept.push_str(chunk);
        }
    }
}

impl Rewriter {
    /// A rewriter that injects `tag` (when given), amends `<meta>` policies with
    /// `amend_policy`, and collects what the document loads. `streaming` places the tag before
    /// `<body>` or at the end when there is no `<head>`; otherwise the caller places it
    /// ([`rewrite_with_policy`] does, after the whole document). `inline` rewrites inline
    /// modules.
    pub fn new(
        tag: Option<String>,
        amend_policy: Option<Amend>,
        streaming: bool,
        inline: Option<InlineModules>,
    ) -> Rewriter {
        let seen = Arc::new(Mutex::new(Seen {
            injected: tag.is_none(),
            inline: Some(String::new()),
            holding: inline.is_some(),
            import_map_text: Some(String::new()),
            ..Seen::default()
        }));
        let tag: Arc<str> = tag.unwrap_or_default().into();
        // Each handler notes into the same place.
        let [s1, s2, s3, s4, s5, s6, s7, s8] = std::array::from_fn(|_| seen.clone());
        let links = element!("link[href]", move |el| {
            let rel = el
                .get_attribute("rel")
                .unwrap_or_default()
                .to_ascii_lowercase();
            if rel
                .split_ascii_whitespace()
                .any(|r| LOADED_LINKS.contains(&r))
                && let Some(href) = el.get_attribute("href")
            {
                lock(&s1).references.push(href);
            }
            Ok(())
        });
        let sources = element!(
            "script[src], img[src], source[src], video[poster]",
            move |el| {
                let name = if el.tag_name() == "video" {
                    "poster"
                } else {
                    "src"
                };
                if let Some(src) = el.get_attribute(name) {
                    lock(&s2).references.push(src);
                }
                Ok(())
            }
        );
        let inline_modules = text!("script[type=module]:not([src])", move |chunk| {
            let mut seen = lock(&s3);
            keep_inline(&mut seen.inline, chunk.as_str());
            let last = chunk.last_in_text_node();
            if let (Some(rewrite), true) = (&inline, seen.holding) {
                if seen.held.len() + chunk.as_str().len() > INLINE_LIMIT {
                    // Too long to hold: what was held goes out before this chunk, as it came,
                    // and the rest passes on.
                    let held = std::mem::take(&mut seen.held);
                    chunk.before(&held, ContentType::Html);
                    seen.holding = false;
                } else if !last {
                    seen.held.push_str(chunk.as_str());
                    chunk.remove();
                } else {
                    let mut source = std::mem::take(&mut seen.held);
                    source.push_str(chunk.as_str());
                    // The chunks held back go out with the last, rewritten or as they came.
                    let out = rewrite(&source, &seen.import_map).unwrap_or(source);
                    chunk.replace(&out, ContentType::Html);
                }
            }
            if last {
                seen.holding = inline.is_some();
                seen.held.clear();
                let source = seen.inline.replace(String::new());
                if let Some(Ok(analysis)) = source.map(|s| js::analyze(&s)) {
                    seen.references.extend(
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
        let import_maps = text!("script[type=importmap]", move |chunk| {
            let mut seen = lock(&s4);
            keep_inline(&mut seen.import_map_text, chunk.as_str());
            if chunk.last_in_text_node() {
                let text = seen.import_map_text.replace(String::new());
                let keys = text.map(|t| import_map_keys(&t)).unwrap_or_default();
                seen.import_map.extend(keys);
            }
            Ok(())
        });
        let srcsets = element!("img[srcset], source[srcset]", move |el| {
            let srcset = el.get_attribute("srcset").unwrap_or_default();
            lock(&s5).references.extend(srcset_urls(&srcset));
            Ok(())
        });
        let head_tag = tag.clone();
        let into_head = element!("head", move |el| {
            let mut seen = lock(&s6);
            if !seen.injected {
                el.prepend(&head_tag, ContentType::Html);
                seen.injected = true;
            }
            Ok(())
        });
        let policies = element!("meta[http-equiv][content]", move |el| {
            let is_policy = el
                .get_attribute("http-equiv")
                .is_some_and(|v| v.eq_ignore_ascii_case("content-security-policy"));
            if let (true, Some(amend)) = (is_policy, &amend_policy) {
                let policy = el.get_attribute("content").unwrap_or_default();
                el.set_attribute("content", &amend(&policy))?;
            }
            Ok(())
        });
        let body_tag = tag.clone();
        let before_body = element!("body", move |el| {
            let mut seen = lock(&s7);
            if !seen.injected {
                el.before(&body_tag, ContentType::Html);
                seen.injected = true;
            }
            Ok(())
        });
        let at_end = end!(move |end| {
            let mut seen = lock(&s8);
            if !seen.injected {
                end.append(&tag, ContentType::Html);
                seen.injected = true;
            }
            Ok(())
        });
        let mut settings = lol_html::send::Settings::new_send()
            .with_memory_settings(
                MemorySettings::new()
                    .with_max_allowed_memory_usage(BUFFER_LIMIT)
                    .with_graceful_bail_out_on_memory_limit_exceeded(true),
            )
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
        let out = Arc::new(Mutex::new(Vec::new()));
        Rewriter {
            lol: Some(lol_html::HtmlRewriter::new(settings, Sink(out.clone()))),
            out,
            seen,
            gave_up: None,
        }
    }

    /// Rewrites the next piece of the document; returns the output that is ready.
    pub fn write(&mut self, piece: &[u8]) -> Vec<u8> {
        match &mut self.lol {
            Some(lol) => {
                if let Err(err) = lol.write(piece) {
                    // lol_html flushed what it held as it came (graceful bail-out); from here
                    // on the document passes through.
                    self.give_up(err);
                }
                std::mem::take(&mut *lock(&self.out))
            }
            None => piece.to_vec(),
        }
    }

    /// Why the rewriter stopped rewriting, if it did: the rest passes through untouched.
    pub fn gave_up(&self) -> Option<&str> {
        self.gave_up.as_deref()
    }

    fn give_up(&mut self, err: lol_html::errors::RewritingError) {
        self.lol = None;
        self.gave_up = Some(match err {
            lol_html::errors::RewritingError::MemoryLimitExceeded(_) => format!(
                "one tag or attribute runs past {} MB; the rest passes through as it came",
                BUFFER_LIMIT >> 20
            ),
            err => format!("{err}; the rest passes through as it came"),
        });
    }

    /// The end of the document: the last of the output, and what the document loads.
    pub fn end(mut self) -> Ended {
        if let Some(lol) = self.lol.take()
            && let Err(err) = lol.end()
        {
            self.give_up(err);
        }
        let html = std::mem::take(&mut *lock(&self.out));
        let mut seen = lock(&self.seen);
        Ended {
            html,
            loads: Loads {
                references: std::mem::take(&mut seen.references),
                import_map: std::mem::take(&mut seen.import_map),
            },
            injected: seen.injected,
            gave_up: self.gave_up.take(),
        }
    }
}

/// What the names of anti-forgery tokens hold (lowercase): a document with none of these
/// anywhere has no token to leave out of its [`fingerprint`].
const TOKEN_NAMES: [&str; 4] = ["csrf", "xsrf", "_token", "verificationtoken"];

/// A fingerprint of a document as its server made it, for telling whether a refresh brought
/// anything new: a hash of its HTML with the values of anti-forgery tokens left out (Django's
/// `csrfmiddlewaretoken`, Rails' `authenticity_token` and `csrf-token` meta, Laravel's
/// `_token`, ASP.NET's `__RequestVerificationToken`), which a backend makes anew for every
/// request.
pub fn fingerprint(html: &str) -> String {
    use std::hash::Hasher;
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    // Most documents hold no token: they are hashed as they are, without a second pass.
    let lower = html.to_ascii_lowercase();
    if !TOKEN_NAMES.iter().any(|name| lower.contains(name)) {
        hasher.write(html.as_bytes());
        return format!("{:016x}", hasher.finish());
    }
    let is_token = |name: Option<String>| {
        let name = name.unwrap_or_default().to_ascii_lowercase();
        TOKEN_NAMES.iter().any(|token| name.contains(token))
    };
    let tokens = element!("input[type=hidden][name]", |el| {
        if is_token(el.get_attribute("name")) {
            el.set_attribute("value", "")?;
        }
        Ok(())
    });
    let metas = element!("meta[name][content]", |el| {
        if is_token(el.get_attribute("name")) {
            el.set_attribute("content", "")?;
        }
        Ok(())
    });
    let settings = RewriteStrSettings::new()
        .append_element_content_handler(tokens)
        .append_element_content_handler(metas);
    let stable = rewrite_str(html, settings).unwrap_or_else(|_| html.to_string());
    hasher.write(stable.as_bytes());
    format!("{:016x}", hasher.finish())
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

    /// `pieces` through one [`Rewriter`], as a stream: the output and how it ended.
    fn streamed(pieces: &[&[u8]]) -> (Vec<u8>, Ended) {
        streamed_with(pieces, None)
    }

    fn streamed_with(pieces: &[&[u8]], inline: Option<InlineModules>) -> (Vec<u8>, Ended) {
        let mut rewriter = Rewriter::new(Some(TAG.to_string()), None, true, inline);
        let mut out = Vec::new();
        for piece in pieces {
            out.extend(rewriter.write(piece));
        }
        let ended = rewriter.end();
        out.extend_from_slice(&ended.html);
        (out, ended)
    }

    /// Writes `preact` as `/npm/preact.js`, and says which specifiers the import map mapped;
    /// leaves a module without `preact` as it is.
    fn npm_rewrite() -> InlineModules {
        Arc::new(|source: &str, mapped: &[String]| {
            let out = source.replace("'preact'", "'/npm/preact.js'");
            (out != source).then(|| format!("{out}/* mapped: {} */", mapped.join(",")))
        })
    }

    #[test]
    fn inline_modules_are_rewritten_whole_however_they_arrive() {
        let doc = "<html><head><script type=importmap>{\"imports\":{\"lib\":\"/lib.js\"}}</script></head><body>\
                   <script type=module>import { render } from 'preact'; import './local.js'; render();</script>\
                   <script>const plain = 'preact';</script></body></html>";
        for size in [1, 7, doc.len()] {
            let pieces: Vec<&[u8]> = doc.as_bytes().chunks(size).collect();
            let (out, ended) = streamed_with(&pieces, Some(npm_rewrite()));
            let out = String::from_utf8(out).unwrap();
            assert!(
                out.contains("<script type=module>import { render } from '/npm/preact.js'; import './local.js'; render();/* mapped: lib */</script>"),
                "pieces of {size}: {out}"
            );
            assert!(
                out.contains("<script>const plain = 'preact';</script>"),
                "{out}"
            );
            assert_eq!(ended.loads.references, vec!["./local.js"]);
        }
        let untouched = "<script type=module>import './a.js'; run();</script>";
        for size in [1, 5, untouched.len()] {
            let pieces: Vec<&[u8]> = untouched.as_bytes().chunks(size).collect();
            let (out, _) = streamed_with(&pieces, Some(npm_rewrite()));
            assert!(
                String::from_utf8(out).unwrap().contains(untouched),
                "pieces of {size}: a module the rewrite leaves goes out whole"
            );
        }
    }

    #[test]
    fn an_inline_module_too_long_to_hold_goes_out_as_it_came() {
        let body = format!("const s = '{}';", "x".repeat(INLINE_LIMIT + 10));
        let doc = format!("<script type=module>{body}</script><p>after</p>");
        let pieces: Vec<&[u8]> = doc.as_bytes().chunks(4096).collect();
        let (out, _) = streamed_with(&pieces, Some(npm_rewrite()));
        let out = String::from_utf8(out).unwrap();
        assert!(out.contains(&format!("<script type=module>{body}</script><p>after</p>")));
        assert!(!out.contains("mapped"));
    }

    #[test]
    fn a_tag_past_the_buffer_limit_passes_through_untouched_after_the_runtime() {
        let huge = vec![b'A'; BUFFER_LIMIT + (1 << 20)];
        let pieces: Vec<&[u8]> = std::iter::once(&b"<html><head></head><body><img src=\""[..])
            .chain(huge.chunks(64 << 10))
            .chain([&b"\"><p>end</p></body></html>"[..]])
            .collect();
        let (out, ended) = streamed(&pieces);
        let expected = [
            format!("<html><head>{TAG}</head><body><img src=\"").as_bytes(),
            &huge,
            b"\"><p>end</p></body></html>",
        ]
        .concat();
        assert!(
            out == expected,
            "{} bytes out, {} expected",
            out.len(),
            expected.len()
        );
        assert!(ended.gave_up.unwrap().contains("4 MB"));
    }

    #[test]
    fn a_streamed_document_without_head_gets_the_runtime_before_body_or_at_its_end() {
        let (out, ended) = streamed(&[b"<p>a</p><bo", b"dy><p>b</p></body>"]);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            format!("<p>a</p>{TAG}<body><p>b</p></body>")
        );
        assert!(ended.injected && ended.gave_up.is_none());
        let (out, _) = streamed(&[b"<p>only</p>"]);
        assert_eq!(String::from_utf8(out).unwrap(), format!("<p>only</p>{TAG}"));
    }

    #[test]
    fn an_inline_module_past_the_inline_limit_is_not_read() {
        let long = format!(
            "import './far.js';\n{}",
            "// padding\n".repeat(INLINE_LIMIT / 10)
        );
        let html = format!(
            "<head><script type=module>import './near.js';</script><script type=module>{long}</script></head>"
        );
        let pieces: Vec<&[u8]> = html.as_bytes().chunks(4096).collect();
        let (_, ended) = streamed(&pieces);
        assert_eq!(ended.loads.references, ["./near.js"]);
    }

    #[test]
    fn a_fingerprint_leaves_out_anti_forgery_tokens_and_nothing_else() {
        let page = |token: &str, text: &str| {
            format!(
                r#"<html><head><meta name="csrf-token" content="{token}"></head><body><form><input type="hidden" name="csrfmiddlewaretoken" value="{token}"><input type="hidden" name="next" value="/a"></form><p>{text}</p></body></html>"#
            )
        };
        assert_eq!(
            fingerprint(&page("abc", "one")),
            fingerprint(&page("xyz", "one"))
        );
        assert_ne!(
            fingerprint(&page("abc", "one")),
            fingerprint(&page("abc", "two"))
        );
        assert_ne!(
            fingerprint(&page("abc", "one")),
            fingerprint(&page("abc", "one").replace("/a", "/b"))
        );
        // Without a token, the page as it is.
        assert_eq!(fingerprint("<p>one</p>"), fingerprint("<p>one</p>"));
        assert_ne!(fingerprint("<p>one</p>"), fingerprint("<p>two</p>"));
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
