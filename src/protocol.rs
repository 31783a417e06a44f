//! The wire protocol between the server and the browser runtime in `client/`: every name both
//! sides write, defined once. The client's copy (`client/protocol.js`) is checked against this
//! table by this module's tests, and no other client file may spell a name of its own.
//!
//! - URLs under [`PREFIX`]: the event stream, the runtime's files, npm packages.
//! - What a document carries: the injected tag ([`tag_with_nonce`]) with its `hotplate-since` meta.
//! - Query parameters: `?t=` (a hot-updated version) and `?v=` (a versioned URL); neither
//!   changes which file answers ([`query_has`]).

/// Where hotplate's own URLs live.
pub const PREFIX: &str = "/__hotplate/";

/// The hub's event stream (server-sent events).
pub const EVENTS_URL: &str = "/__hotplate/events";

/// Where a page posts what it sends with `import.meta.hot.send(event, data)`.
pub const SEND_URL: &str = "/__hotplate/send";

/// The raw change feed: one message per changed path.
pub const CHANGES_URL: &str = "/__hotplate/changes";

/// What pages send, as a stream, for other processes to follow.
pub const RECEIVED_URL: &str = "/__hotplate/received";

/// Where another process posts a `custom` event for every page (`hotplate send`).
pub const BROADCAST_URL: &str = "/__hotplate/broadcast";

/// Where npm packages' files are served.
pub const NPM_PREFIX: &str = "/__hotplate/npm/";

/// Where CommonJS packages converted into ES modules are served.
pub const DEPS_PREFIX: &str = "/__hotplate/deps/";

/// The hub's event types, as the stream names them (`event: update`);
/// [`crate::base::Message::event`] says which message is which.
pub mod event {
    pub const HELLO: &str = "hello";
    pub const UPDATE: &str = "update";
    pub const PRUNE: &str = "prune";
    pub const HTML: &str = "html";
    pub const ASSET: &str = "asset";
    pub const RELOAD: &str = "reload";
    pub const ERROR: &str = "error";
    pub const ERROR_CLEAR: &str = "error-clear";
    pub const CUSTOM: &str = "custom";
    pub const CHANGE: &str = "change";
}

/// Every event type, in the order the client lists them.
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "the client's list (client/protocol.js), checked by the tests"
    )
)]
pub const EVENT_TYPES: [&str; 10] = [
    event::HELLO,
    event::UPDATE,
    event::PRUNE,
    event::HTML,
    event::ASSET,
    event::RELOAD,
    event::ERROR,
    event::ERROR_CLEAR,
    event::CUSTOM,
    event::CHANGE,
];

/// The header of a page's request for itself after a save: the answer is read as the page's
/// new version (to morph into), not shown, and carries no runtime of its own.
pub const REFRESH_HEADER: &str = "x-hotplate-refresh";

/// The header, on the answer to a refresh, that names the template (or backend view) the page
/// came from, when the server knows it ([`SOURCE_META`] in the page itself).
pub const SOURCE_HEADER: &str = "x-hotplate-source";

/// The meta tag that carries the hub's newest message id when the page was served.
pub const SINCE_META: &str = "hotplate-since";

/// The meta tag that names the template a backend rendered the page from.
pub const SOURCE_META: &str = "hotplate-source";

/// The meta tag of a page that answers a form (POST): it is not refreshed after a save.
pub const POSTED_META: &str = "hotplate-posted";

/// The `<meta>` name that carries the stamp of a page's render: the pipeline's patches say which
/// render they start from, and a page that shows another fetches itself instead.
pub const RENDER_META: &str = "hotplate-render";

/// The `<meta>` of a page under a Content-Security-Policy: it imports a hot-updated module by
/// its URL, never from the `data:` URL of the code its message carries (few policies allow
/// `data:` scripts).
pub const IMPORTS_BY_URL_META: &str = "hotplate-imports-by-url";

/// The attribute of the page hotplate shows while a backend is down: it reloads once the
/// backend answers.
pub const WAITING_ATTRIBUTE: &str = "data-hotplate-waiting";

/// The attribute that keeps a subtree as it is through a morph.
#[cfg_attr(
    not(test),
    expect(
        dead_code,
        reason = "the client's (client/protocol.js), checked by the tests"
    )
)]
pub const KEEP_ATTRIBUTE: &str = "data-hotplate-keep";

/// The id of the heading of hotplate's own render-error page: a refresh that finds it leaves
/// the page as it is (the overlay says why).
pub const ERROR_MESSAGE_ID: &str = "hotplate-error-message";

/// The query parameter of a hot-updated version of a file (`?t=<timestamp>`).
pub const TIMESTAMP_PARAM: &str = "t";

/// The query parameter of a versioned URL (`?v=<version>`), cached for good.
pub const VERSION_PARAM: &str = "v";

/// The query parameter that asks for a file that is not a script (a stylesheet, an image,
/// JSON) as an ES module (`?import`), as Vite's client does.
pub const IMPORT_PARAM: &str = "import";

/// The extensions of the files that are scripts: served as ES modules (TypeScript and JSX
/// compiled). Any other file imported from a script is asked for with [`IMPORT_PARAM`].
pub const SCRIPT_EXTENSIONS: [&str; 7] = ["js", "mjs", "ts", "tsx", "mts", "cts", "jsx"];

/// What is injected first into every HTML document of the server started as `boot`: the
/// hub's newest message id when the document was read (`since`: the runtime resumes from it,
/// so an update sent while the page loaded still reaches it), the inline `client/early.js`
/// (without its comments), which must run before the page's own scripts, then the runtime's
/// entry module.
#[cfg(any(test, feature = "testing"))]
pub fn tag(boot: &str, since: u64) -> String {
    tag_with_nonce(boot, since, None)
}

/// The injected tag (see `tag`), its scripts carrying `nonce` (for a page under a
/// Content-Security-Policy).
pub fn tag_with_nonce(boot: &str, since: u64, nonce: Option<&str>) -> String {
    let nonce = nonce
        .map(|n| format!(r#" nonce="{n}""#))
        .unwrap_or_default();
    format!(
        r#"<meta name="{SINCE_META}" content="{boot}-{since}"><script{nonce}>{}</script><script type="module"{nonce} src="{PREFIX}{boot}/client.js"></script>"#,
        *EARLY
    )
}

/// `client/early.js` as it is inlined: comment lines dropped, one line.
static EARLY: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    include_str!("../client/early.js")
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with("//"))
        .collect::<Vec<_>>()
        .join(" ")
});

/// Where modules import `createHotContext` from.
pub fn hot_url(boot: &str) -> String {
    format!("{}hot.js", runtime_folder(boot))
}

/// Where the client runtime's files are served for the server started as `boot` (they are
/// cached for good: a restart changes the URL).
pub fn runtime_folder(boot: &str) -> String {
    format!("{PREFIX}{boot}/")
}

/// Whether the query string has a parameter called `name` (`v` for versioned URLs, `t` for
/// hot-update timestamps). The query never changes which file answers.
pub fn query_has(query: Option<&str>, name: &str) -> bool {
    query
        .unwrap_or("")
        .split('&')
        .any(|pair| pair.split('=').next() == Some(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    /// Every name the client's copy must hold, with its value (a list for the lists).
    fn table() -> BTreeMap<&'static str, Vec<&'static str>> {
        [
            ("PREFIX", vec![PREFIX]),
            ("EVENTS_URL", vec![EVENTS_URL]),
            ("SEND_URL", vec![SEND_URL]),
            ("EVENT_TYPES", EVENT_TYPES.to_vec()),
            ("REFRESH_HEADER", vec![REFRESH_HEADER]),
            ("SOURCE_HEADER", vec![SOURCE_HEADER]),
            ("SINCE_META", vec![SINCE_META]),
            ("SOURCE_META", vec![SOURCE_META]),
            ("POSTED_META", vec![POSTED_META]),
            ("RENDER_META", vec![RENDER_META]),
            ("IMPORTS_BY_URL_META", vec![IMPORTS_BY_URL_META]),
            ("WAITING_ATTRIBUTE", vec![WAITING_ATTRIBUTE]),
            ("KEEP_ATTRIBUTE", vec![KEEP_ATTRIBUTE]),
            ("ERROR_MESSAGE_ID", vec![ERROR_MESSAGE_ID]),
            ("TIMESTAMP_PARAM", vec![TIMESTAMP_PARAM]),
            ("IMPORT_PARAM", vec![IMPORT_PARAM]),
            ("SCRIPT_EXTENSIONS", SCRIPT_EXTENSIONS.to_vec()),
        ]
        .into_iter()
        .collect()
    }

    /// The names the server alone writes (the client never needs them).
    const SERVER_ONLY: [&str; 6] = [
        CHANGES_URL,
        RECEIVED_URL,
        BROADCAST_URL,
        NPM_PREFIX,
        DEPS_PREFIX,
        VERSION_PARAM,
    ];

    fn client_files() -> Vec<(String, String)> {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("client");
        let mut files: Vec<(String, String)> = std::fs::read_dir(&folder)
            .expect("client/")
            .map(|entry| entry.expect("an entry").path())
            .filter(|path| path.extension().is_some_and(|e| e == "js"))
            .map(|path| {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&path).expect("a client file"))
            })
            .collect();
        files.sort();
        assert!(files.len() >= 5, "client files: {files:?}");
        files
    }

    /// The string literals of a client file (comments and regular expressions left out):
    /// quoted strings whole, and the text of template literals with each `${…}` as `\u{0}`.
    fn literals(source: &str) -> Vec<String> {
        let chars: Vec<char> = source.chars().collect();
        let mut found = Vec::new();
        let mut at = 0;
        // Whether a `/` here starts a regular expression (after an operator or an opening
        // bracket) rather than dividing (after a value).
        let mut regex_may_follow = true;
        while at < chars.len() {
            let c = chars[at];
            if !c.is_whitespace() && c != '/' {
                regex_may_follow = "(,=:[!&|?{};".contains(c);
            }
            match chars[at] {
                '/' if regex_may_follow && !matches!(chars.get(at + 1), Some('/' | '*')) => {
                    at += 1;
                    let mut class = false;
                    while at < chars.len() && chars[at] != '\n' {
                        match chars[at] {
                            '\\' => at += 1,
                            '[' => class = true,
                            ']' => class = false,
                            '/' if !class => break,
                            _ => {}
                        }
                        at += 1;
                    }
                    regex_may_follow = false;
                }
                '/' if chars.get(at + 1) == Some(&'/') => {
                    while at < chars.len() && chars[at] != '\n' {
                        at += 1;
                    }
                }
                '/' if chars.get(at + 1) == Some(&'*') => {
                    at += 2;
                    while at + 1 < chars.len() && !(chars[at] == '*' && chars[at + 1] == '/') {
                        at += 1;
                    }
                    at += 2;
                }
                quote @ ('\'' | '"' | '`') => {
                    let mut text = String::new();
                    at += 1;
                    while at < chars.len() && chars[at] != quote {
                        if chars[at] == '\\' {
                            at += 1;
                        } else if quote == '`'
                            && chars[at] == '$'
                            && chars.get(at + 1) == Some(&'{')
                        {
                            let mut depth = 0;
                            while at < chars.len() {
                                match chars[at] {
                                    '{' => depth += 1,
                                    '}' => {
                                        depth -= 1;
                                        if depth == 0 {
                                            break;
                                        }
                                    }
                                    _ => {}
                                }
                                at += 1;
                            }
                            text.push('\u{0}');
                        } else {
                            text.push(chars[at]);
                        }
                        at += 1;
                    }
                    found.push(text);
                    at += 1;
                    continue;
                }
                _ => {}
            }
            at += 1;
        }
        found
    }

    /// `export const NAME = 'value';` and `export const NAME = ['a', 'b'];` of `client/protocol.js`.
    fn client_constants() -> BTreeMap<String, Vec<String>> {
        let source = include_str!("../client/protocol.js");
        source
            .lines()
            .filter_map(|line| line.strip_prefix("export const "))
            .map(|line| {
                let (name, value) = line.split_once(" = ").expect("`NAME = value`");
                (name.to_string(), literals(value))
            })
            .collect()
    }

    #[test]
    fn the_literal_reader_skips_comments_and_regular_expressions() {
        let source = "a = b / 2; // 'no'\nx.replace(/['\"]/g, 'yes') /* \"no\" */ + `t${u}v`;";
        assert_eq!(literals(source), vec!["yes", "t\u{0}v"]);
    }

    #[test]
    fn the_clients_protocol_file_holds_every_name_as_the_table_defines_it() {
        let table: BTreeMap<String, Vec<String>> = table()
            .into_iter()
            .map(|(name, values)| {
                (
                    name.to_string(),
                    values.into_iter().map(String::from).collect(),
                )
            })
            .collect();
        assert_eq!(client_constants(), table);
    }

    #[test]
    fn no_other_client_file_spells_a_protocol_name_itself() {
        let names: Vec<&str> = table()
            .into_values()
            .flatten()
            .chain(SERVER_ONLY)
            .filter(|value| value.contains("hotplate"))
            .collect();
        for (file, source) in client_files() {
            if file == "protocol.js" {
                continue;
            }
            for literal in literals(&source) {
                for name in &names {
                    assert!(
                        !literal.contains(name),
                        "client/{file} spells {name:?} in {literal:?}: import it from protocol.js"
                    );
                }
                let query = literal.trim_start_matches('\u{0}');
                assert!(
                    literal != TIMESTAMP_PARAM
                        && !query.starts_with("t=")
                        && !literal.contains("?t=")
                        && !literal.contains("&t=")
                        && !literal.contains("import&"),
                    "client/{file} writes the ?t=/?import rule itself in {literal:?}: use \
                     protocol.js"
                );
            }
        }
    }

    #[test]
    fn the_client_handles_every_event_the_hub_sends_and_no_other() {
        let client = include_str!("../client/client.js");
        let handled: Vec<String> = client
            .lines()
            .filter_map(|line| line.strip_prefix("on('"))
            .filter_map(|rest| rest.split_once('\'').map(|(name, _)| name.to_string()))
            .collect();
        for event in EVENT_TYPES {
            assert!(
                handled.iter().any(|h| h == event),
                "client.js has no on('{event}')"
            );
        }
        for name in &handled {
            assert!(
                EVENT_TYPES.contains(&name.as_str()) || name == "disconnect",
                "client.js handles {name:?}, which the hub never sends"
            );
        }
    }

    #[test]
    fn the_injected_tag_carries_the_since_meta_and_loads_the_runtime_of_its_boot() {
        let tag = tag("b00t", 7);
        assert!(
            tag.starts_with(r#"<meta name="hotplate-since" content="b00t-7">"#),
            "{tag}"
        );
        assert!(
            tag.ends_with(r#"src="/__hotplate/b00t/client.js"></script>"#),
            "{tag}"
        );
        assert_eq!(hot_url("b00t"), "/__hotplate/b00t/hot.js");
    }

    #[test]
    fn a_query_parameter_is_found_by_name_alone() {
        assert!(query_has(Some("a=1&t=2"), TIMESTAMP_PARAM));
        assert!(query_has(Some("import&t=2"), IMPORT_PARAM));
        assert!(!query_has(Some("tt=1&at=2"), TIMESTAMP_PARAM));
        assert!(!query_has(None, VERSION_PARAM));
    }
}
