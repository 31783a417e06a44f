//! The shared vocabulary of the pipeline: where a file sits in a site ([`SitePath`], [`Role`]),
//! what the watcher hands on ([`ChangeBatch`]) and what the hub sends ([`Message`]).
//!
//! This module knows nothing of tokio, HTTP or the file system; every stage downstream of
//! it speaks these types.

use crate::protocol::{SCRIPT_EXTENSIONS, event};
use percent_encoding::{AsciiSet, CONTROLS, utf8_percent_encode};
use serde::Serialize;
use std::collections::BTreeSet;
use std::fmt;

/// What a browser percent-encodes in a URL path (the WHATWG "path percent-encode set"), so
/// that URLs made here compare equal to `location.pathname` and `new URL(…).pathname`.
const PATH: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'%');

/// A URL path made of `segments`, each percent-encoded as a browser would.
pub fn url_path<'a>(segments: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for segment in segments {
        out.push('/');
        out.extend(utf8_percent_encode(segment, PATH));
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// A file's path relative to the site root, with `/` separators and no leading slash
/// (`pages/about.html`, `main.css`). It is the id of a file everywhere in the pipeline.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct SitePath(String);

impl SitePath {
    /// Builds a site path from `/`-separated segments; empty segments are dropped.
    pub fn new(path: &str) -> Self {
        let joined: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        SitePath(joined.join("/"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The file's extension, lower-cased (`css`, `html`), or `""`.
    pub fn extension(&self) -> String {
        extension(&self.0)
    }

    /// What part the file plays in the browser ([`Kind::of`]).
    pub fn kind(&self) -> Kind {
        Kind::of(&self.0)
    }

    /// What the file is for in the site layout (see DESIGN.md).
    pub fn role(&self) -> Role {
        let first = self.0.split('/').next().unwrap_or("");
        let nested = self.0.contains('/');
        match first {
            "pages" if nested => Role::Page,
            "layouts" if nested => Role::Layout,
            "partials" if nested => Role::Partial,
            "content" if nested => Role::Content,
            "data" if nested => Role::Data,
            "public" if nested => Role::Public,
            "index.html" => Role::Page,
            _ => Role::Other,
        }
    }

    /// The URL pattern of a page template with dynamic segments, as the `html` message names
    /// it: `pages/blog/[slug].html` → `/blog/:slug`. `None` for any other file.
    pub fn route_pattern(&self) -> Option<String> {
        if self.role() != Role::Page || !self.0.contains('[') {
            return None;
        }
        let route = self.0.strip_prefix("pages/")?.strip_suffix(".html")?;
        let segments: Vec<String> = route
            .split('/')
            .filter(|s| *s != "index")
            .map(
                |s| match s.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                    Some(name) => format!(":{name}"),
                    None => s.to_string(),
                },
            )
            .collect();
        Some(format!("/{}", segments.join("/")))
    }

    /// The graph's name for a document no file of the root holds (a page an app or a backend
    /// rendered): its URL path. It starts with `/`, which the path of a file never does.
    pub fn document_at(route: &str) -> SitePath {
        SitePath(format!("/{}", route.trim_start_matches('/')))
    }

    /// Whether this names a document an app or a backend rendered ([`SitePath::document_at`]).
    pub fn is_document_at(&self) -> bool {
        self.0.starts_with('/')
    }

    /// The URL path at which a static file is served, percent-encoded as a browser writes it:
    /// `public/x.svg` → `/x.svg`, `main.css` → `/main.css`, `a b.png` → `/a%20b.png`.
    /// Templates have no URL of their own.
    pub fn url(&self) -> String {
        let served = match self.role() {
            Role::Public => &self.0["public/".len()..],
            _ => &self.0,
        };
        url_path(served.split('/'))
    }
}

impl fmt::Display for SitePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The extension of the last segment of `path` (a file path or a URL path), lower-cased, or
/// `""`.
fn extension(path: &str) -> String {
    let name = path.rsplit('/').next().unwrap_or("");
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => ext.to_ascii_lowercase(),
        _ => String::new(),
    }
}

/// What part a file plays in the browser. This is the one place that decides it from a name:
/// the site service answers by it, the module layer picks what to rewrite by it, the graph and
/// the plan walk by it (where the graph also knows documents that are no file).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An HTML document: the runtime goes in, and what it loads is recorded.
    Document,
    /// An ES module: `import.meta.hot`, `?t=`, its imports and what it accepts.
    Script,
    /// A stylesheet: swapped in place; `?t=` on its `@import`s and `url()`s.
    Style,
    /// Anything else: served as it is, refreshed where pages show it.
    Asset,
}

impl Kind {
    /// The kind of the file at `path` (a file path or a URL path without its query), by its
    /// extension.
    pub fn of(path: &str) -> Kind {
        match extension(path).as_str() {
            "html" | "htm" => Kind::Document,
            // TypeScript and JSX are compiled on their way out (`rewrite::ts`).
            ext if SCRIPT_EXTENSIONS.contains(&ext) => Kind::Script,
            "css" => Kind::Style,
            _ => Kind::Asset,
        }
    }

    /// Whether hotplate rewrites files of this kind on their way out (in dev).
    pub fn is_rewritten(self) -> bool {
        self != Kind::Asset
    }
}

/// What one page render read: the server-side dependencies of one route.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reads {
    /// Templates, content and data files, including the ones it looked for and did not find
    /// (creating one changes the render).
    pub files: BTreeSet<SitePath>,
    /// Folders it listed: a file added to or removed from one changes the render.
    pub folders: BTreeSet<SitePath>,
}

/// The part a file plays in a site.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A routed template: root `index.html` or anything under `pages/`.
    Page,
    /// A template under `layouts/`, used through `{% extends %}`; never served.
    Layout,
    /// A template under `partials/`, used through `{% include %}`; never served.
    Partial,
    /// Markdown under `content/`, read by templates.
    Content,
    /// Data files under `data/`, read by templates.
    Data,
    /// A file under `public/`, served at the root URL as it is.
    Public,
    /// Any other file under the root, served as it is.
    Other,
}

impl Role {
    /// Whether the server reads this file while it renders pages (the server environment).
    pub fn is_server_only(self) -> bool {
        matches!(
            self,
            Role::Page | Role::Layout | Role::Partial | Role::Content | Role::Data
        )
    }
}

/// What happened to one file, as the watcher saw it after hashing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    pub path: SitePath,
    pub kind: ChangeKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// The file exists and its content differs from what was last seen (or was never seen).
    Modified,
    /// The file is gone.
    Removed,
}

/// One batch of changes: everything the watcher saw between two moments it was free to act.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeBatch {
    pub changes: Vec<Change>,
    /// The watcher lost events (queue overflow): nothing in `changes` is complete.
    pub rescan: bool,
    /// When the watcher got the batch's first event (for the timings a message carries).
    pub noticed: Option<std::time::SystemTime>,
}

impl ChangeBatch {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && !self.rescan
    }
}

/// One update for a module or stylesheet in the `update` message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModuleUpdate {
    /// `css` or `js`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// URL path of the stylesheet or boundary module to re-request.
    pub path: String,
    /// URL path of the module that changed (the accepted one).
    pub accepted_path: String,
    pub timestamp: u64,
    /// For an update that follows `import.meta.hot.invalidate()`: the module whose
    /// invalidation started the chain. A chain that comes back to it reloads instead (Vite's
    /// rule), so modules that invalidate each other cannot loop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_invalidated_by: Option<String>,
    /// A stylesheet's new text, cut into its top-level rules (references absolute), when it is
    /// small enough to ride in the message: the page puts the rules into the sheet it has,
    /// without fetching it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<Vec<String>>,
    /// The accepted module's new code, as it would be served for `?t=<timestamp>`, when it is
    /// small enough to ride in the message and runs the same from any URL: in pieces to be
    /// joined with the page's origin (`serve::module::pushed_script`). The page imports it
    /// from a `data:` URL, without fetching it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<Vec<String>>,
}

/// When the server noticed the change behind an update (the watcher's first event of the
/// batch) and when it handed the message to the hub, in microseconds since the epoch: the page
/// measures the server's part of a save from them (`hotplate:server`, `client/marks.js`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Timing {
    pub noticed: u64,
    pub sent: u64,
}

impl Timing {
    /// The timing of a message sent now about a change `noticed` then; `None` without one.
    pub fn now(noticed: Option<std::time::SystemTime>) -> Option<Timing> {
        let micros = |at: std::time::SystemTime| {
            at.duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_micros() as u64)
        };
        noticed.map(|noticed| Timing {
            noticed: micros(noticed),
            sent: micros(std::time::SystemTime::now()),
        })
    }
}

/// The changes between two renders of a route's page, for the tabs that show the first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PagePatch {
    /// The URL path rendered.
    pub route: String,
    /// The render stamp of the page the patch starts from (`<meta name="hotplate-render">`).
    pub from: String,
    /// The render stamp of the page it makes.
    pub to: String,
    pub ops: Vec<PatchOp>,
}

/// One change in a [`PagePatch`]. An element is found by `path`, the indices of element
/// children from `<html>` down (`[1, 0]`: `<body>`'s first element), and checked by `tags`, the
/// tag of each element on the way; the tab fetches the page instead when they do not match.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "camelCase")]
pub enum PatchOp {
    /// Only the `<title>` of the `<head>` changed: its new text.
    Title { text: String },
    /// Only the element's attributes changed: all of them, as they are now. Its parent had
    /// `siblings` element children (checked below `<body>`).
    Attributes {
        path: Vec<usize>,
        tags: Vec<String>,
        siblings: usize,
        attributes: Vec<(String, String)>,
    },
    /// Only a text in the element changed: the text of its child node `index` (of `nodes`).
    /// Its parent had `siblings` element children (checked below `<body>`).
    Text {
        path: Vec<usize>,
        tags: Vec<String>,
        siblings: usize,
        index: usize,
        nodes: usize,
        text: String,
    },
    /// The same text changed in many rows of one element (a line of a partial every row of a
    /// list includes): the element at `path`, which had `children` element children; `rows`,
    /// the indices of the rows that changed; from each row down to the element whose text
    /// changed, `below` (element-child indices) and `below_tags` (the row's own tag first,
    /// then one per index); then as in [`PatchOp::Text`], the same for every row. `texts` has
    /// each row's new text, or one for them all.
    #[serde(rename_all = "camelCase")]
    Texts {
        path: Vec<usize>,
        tags: Vec<String>,
        children: usize,
        rows: Vec<usize>,
        below: Vec<usize>,
        below_tags: Vec<String>,
        siblings: usize,
        index: usize,
        nodes: usize,
        texts: Vec<String>,
    },
    /// What the element holds changed: the element as it is now, to morph it into. Its parent
    /// had `siblings` element children.
    Element {
        path: Vec<usize>,
        tags: Vec<String>,
        siblings: usize,
        html: String,
    },
}

/// An error shown in the browser overlay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErrorReport {
    pub message: String,
    /// Site path of the file at fault, when known.
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The source around the error, ready to print in a monospace block.
    pub frame: String,
}

impl ErrorReport {
    /// A problem with the file `file` as a whole: no line, no frame.
    pub fn about_file(file: &str, message: String) -> ErrorReport {
        ErrorReport {
            message,
            file: Some(file.to_string()),
            line: None,
            column: None,
            frame: String::new(),
        }
    }

    /// One line for the terminal: `file:line: message`.
    pub fn one_line(&self) -> String {
        match (&self.file, self.line) {
            (Some(file), Some(line)) => format!("{file}:{line}: {}", self.message),
            (Some(file), None) => format!("{file}: {}", self.message),
            _ => self.message.clone(),
        }
    }
}

/// A message of the wire protocol (DESIGN.md, "Wire protocol"): `event:` is [`Message::event`],
/// `data:` is the JSON of the variant's fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Message {
    Hello {
        boot: String,
        version: String,
    },
    Update {
        updates: Vec<ModuleUpdate>,
        #[serde(skip_serializing_if = "Option::is_none")]
        timing: Option<Timing>,
    },
    Html {
        routes: Vec<String>,
        timestamp: u64,
        /// The pages the pipeline rendered, as patches to what their tabs show: a tab showing
        /// a patch's `from` applies it without fetching; any other fetches.
        #[serde(skip_serializing_if = "Vec::is_empty")]
        patches: Vec<PagePatch>,
        #[serde(skip_serializing_if = "Option::is_none")]
        timing: Option<Timing>,
    },
    Asset {
        paths: Vec<String>,
        timestamp: u64,
    },
    /// Modules that are gone: their dispose, then prune, callbacks run.
    Prune {
        paths: Vec<String>,
    },
    /// A full reload; with `routes`, only for clients showing one of those URL paths.
    Reload {
        reason: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        routes: Option<Vec<String>>,
    },
    Error(ErrorReport),
    ErrorClear {},
    Custom {
        event: String,
        data: serde_json::Value,
    },
    Change {
        paths: Vec<String>,
    },
}

impl Message {
    /// The SSE `event:` name.
    pub fn event(&self) -> &'static str {
        match self {
            Message::Hello { .. } => event::HELLO,
            Message::Update { .. } => event::UPDATE,
            Message::Html { .. } => event::HTML,
            Message::Asset { .. } => event::ASSET,
            Message::Prune { .. } => event::PRUNE,
            Message::Reload { .. } => event::RELOAD,
            Message::Error(_) => event::ERROR,
            Message::ErrorClear {} => event::ERROR_CLEAR,
            Message::Custom { .. } => event::CUSTOM,
            Message::Change { .. } => event::CHANGE,
        }
    }

    /// The SSE `data:` payload.
    pub fn data(&self) -> String {
        serde_json::to_string(self).expect("messages serialize to JSON")
    }

    pub fn reload_all(reason: impl Into<String>) -> Self {
        Message::Reload {
            reason: reason.into(),
            routes: None,
        }
    }
}

/// A dependency found in a served file: the file, and the URL it was requested by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    pub file: SitePath,
    pub url: String,
}

/// Why `name` cannot name a custom event, if it cannot: an event stream carries the name on a
/// line of its own (`event: name`), so a line break or a NUL in it would forge other fields,
/// or end a follower's stream.
pub fn event_name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("an event name cannot be empty")
    } else if name.contains(['\n', '\r', '\0']) {
        Some("an event name cannot contain a line break or a NUL")
    } else {
        None
    }
}

/// Two lines either side of `line` (1-based), numbered, with the line at fault marked and,
/// when the column is known, a caret under it.
pub fn code_frame(source: &str, line: usize, column: Option<usize>) -> String {
    let lines: Vec<&str> = source.lines().collect();
    let first = line.saturating_sub(3);
    let last = (line + 2).min(lines.len());
    let width = last.to_string().len();
    let mut frame = String::new();
    for (index, text) in lines.iter().enumerate().take(last).skip(first) {
        let number = index + 1;
        let marker = if number == line { '>' } else { ' ' };
        frame.push_str(&format!("{marker} {number:>width$} | {text}\n"));
        if let (true, Some(col)) = (number == line, column) {
            frame.push_str(&format!(
                "  {:>width$} | {}^\n",
                "",
                " ".repeat(col.saturating_sub(1))
            ));
        }
    }
    frame
}

/// `url` with `t=<timestamp>` added to its query: the URL of one hot-updated version of a file.
pub fn with_timestamp(url: &str, timestamp: u64) -> String {
    let (rest, fragment) = match url.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (url, None),
    };
    let separator = if rest.contains('?') { '&' } else { '?' };
    let mut out = format!(
        "{rest}{separator}{}={timestamp}",
        crate::protocol::TIMESTAMP_PARAM
    );
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_s_kind_is_decided_by_its_name_alone() {
        assert_eq!(Kind::of("docs/index.html"), Kind::Document);
        assert_eq!(Kind::of("/old/page.HTM"), Kind::Document);
        assert_eq!(Kind::of("/static/app.js"), Kind::Script);
        assert_eq!(Kind::of("lib/x.mjs"), Kind::Script);
        assert_eq!(Kind::of("main.css"), Kind::Style);
        assert_eq!(Kind::of("public/logo.svg"), Kind::Asset);
        assert_eq!(Kind::of("/static/.js"), Kind::Asset);
        assert_eq!(Kind::of("/"), Kind::Asset);
        assert!(Kind::Style.is_rewritten() && !Kind::Asset.is_rewritten());
    }

    #[test]
    fn site_paths_are_normalised_to_slash_separated_relative_form() {
        assert_eq!(
            SitePath::new("/pages//about.html").as_str(),
            "pages/about.html"
        );
        assert_eq!(SitePath::new("main.css").as_str(), "main.css");
    }

    #[test]
    fn roles_follow_the_site_layout() {
        assert_eq!(SitePath::new("index.html").role(), Role::Page);
        assert_eq!(SitePath::new("pages/blog/[slug].html").role(), Role::Page);
        assert_eq!(SitePath::new("layouts/base.html").role(), Role::Layout);
        assert_eq!(SitePath::new("partials/nav.html").role(), Role::Partial);
        assert_eq!(SitePath::new("public/logo.svg").role(), Role::Public);
        assert_eq!(SitePath::new("main.css").role(), Role::Other);
        assert_eq!(SitePath::new("docs/index.html").role(), Role::Other);
        // A file merely named like a folder is not inside it.
        assert_eq!(SitePath::new("pages").role(), Role::Other);
    }

    #[test]
    fn public_files_are_served_at_the_root_url() {
        assert_eq!(SitePath::new("public/logo.svg").url(), "/logo.svg");
        assert_eq!(SitePath::new("css/main.css").url(), "/css/main.css");
        assert_eq!(
            SitePath::new("my photo #1.png").url(),
            "/my%20photo%20%231.png"
        );
        assert_eq!(SitePath::new("public/é.svg").url(), "/%C3%A9.svg");
    }

    #[test]
    fn dynamic_page_templates_have_a_route_pattern() {
        let pattern = |p: &str| SitePath::new(p).route_pattern();
        assert_eq!(
            pattern("pages/blog/[slug].html").as_deref(),
            Some("/blog/:slug")
        );
        assert_eq!(
            pattern("pages/[lang]/index.html").as_deref(),
            Some("/:lang")
        );
        assert_eq!(
            pattern("pages/[lang]/docs/[page].html").as_deref(),
            Some("/:lang/docs/:page")
        );
        assert_eq!(pattern("pages/about.html"), None);
        assert_eq!(pattern("partials/[x].html"), None);
    }

    #[test]
    fn extensions_are_lower_cased_and_dotfiles_have_none() {
        assert_eq!(SitePath::new("a/Main.CSS").extension(), "css");
        assert_eq!(SitePath::new("a/.hidden").extension(), "");
        assert_eq!(SitePath::new("Makefile").extension(), "");
    }

    #[test]
    fn messages_carry_their_event_name_and_json_data() {
        let msg = Message::Reload {
            reason: "x".into(),
            routes: Some(vec!["/a".into()]),
        };
        assert_eq!(msg.event(), "reload");
        assert_eq!(msg.data(), r#"{"reason":"x","routes":["/a"]}"#);
        assert_eq!(Message::ErrorClear {}.data(), "{}");
        assert_eq!(Message::reload_all("y").data(), r#"{"reason":"y"}"#);
        let update = Message::Update {
            timing: None,
            updates: vec![ModuleUpdate {
                rules: None,
                code: None,
                kind: "css",
                path: "/main.css".into(),
                accepted_path: "/main.css".into(),
                timestamp: 7,
                first_invalidated_by: None,
            }],
        };
        assert_eq!(
            update.data(),
            r#"{"updates":[{"type":"css","path":"/main.css","acceptedPath":"/main.css","timestamp":7}]}"#
        );
    }
}
