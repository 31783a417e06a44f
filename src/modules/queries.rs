//! Vite's asset queries: what a module gets when it imports a file with `?url`, `?raw`,
//! `?inline`, `?worker` or `?sharedworker`, for the dev server and the build alike.
//!
//! | import | gives |
//! |---|---|
//! | `./logo.svg?url` | the file's URL (a stylesheet is not applied) |
//! | `./notes.md?raw` | the file's text |
//! | `./card.css?inline` | the stylesheet's text (`url()`s made absolute), not applied; any other file as a `data:` URL |
//! | `./work.ts?worker` | a constructor of a module worker running the file, compiled |
//! | `./work.ts?sharedworker` | the same, for a `SharedWorker` |
//!
//! The queries are flags (no value), as Vite writes them; a query such as `?url=x` is a plain
//! query, and the file is what it always is.

use base64::Engine;

/// One of Vite's asset queries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssetQuery {
    Url,
    Raw,
    Inline,
    Worker,
    SharedWorker,
}

impl AssetQuery {
    /// The asset query `query` (a URL's query, without `?`) holds, if any.
    pub fn of(query: Option<&str>) -> Option<AssetQuery> {
        query?.split('&').find_map(|pair| match pair {
            "url" => Some(AssetQuery::Url),
            "raw" => Some(AssetQuery::Raw),
            "inline" => Some(AssetQuery::Inline),
            "worker" => Some(AssetQuery::Worker),
            "sharedworker" => Some(AssetQuery::SharedWorker),
            _ => None,
        })
    }

    /// The asset query of the specifier `specifier` (`./a.svg?url`), if any.
    pub fn of_specifier(specifier: &str) -> Option<AssetQuery> {
        let query = specifier.split_once('?')?.1;
        AssetQuery::of(Some(query.split('#').next().unwrap_or(query)))
    }

    /// The flag as written in a query.
    pub fn flag(self) -> &'static str {
        match self {
            AssetQuery::Url => "url",
            AssetQuery::Raw => "raw",
            AssetQuery::Inline => "inline",
            AssetQuery::Worker => "worker",
            AssetQuery::SharedWorker => "sharedworker",
        }
    }
}

/// A module whose default export is the string `value` (a URL, a text).
pub fn string_module(value: &str) -> String {
    format!(
        "export default {};\n",
        serde_json::to_string(value).expect("a string serializes")
    )
}

/// A module whose default export starts a worker running the module at the URL `url_expression`
/// (JavaScript: a string literal, or rolldown's file URL in the build), as Vite's `?worker`
/// does: `new Work()` or `new Work({ name })`.
pub fn worker_module(url_expression: &str, shared: bool) -> String {
    let class = if shared { "SharedWorker" } else { "Worker" };
    format!(
        "export default function WorkerWrapper(options) {{\n  \
         return new {class}({url_expression}, {{ type: 'module', name: options?.name }});\n}}\n"
    )
}

/// The file `name` with these `bytes`, as a `data:` URL.
pub fn data_url(name: &str, bytes: &[u8]) -> String {
    let media = mime_guess::from_path(name).first_or_octet_stream();
    format!(
        "data:{media};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_queries_are_flags_as_vite_writes_them() {
        assert_eq!(AssetQuery::of(Some("import&raw")), Some(AssetQuery::Raw));
        assert_eq!(AssetQuery::of(Some("url")), Some(AssetQuery::Url));
        assert_eq!(AssetQuery::of(Some("t=1&worker")), Some(AssetQuery::Worker));
        assert_eq!(AssetQuery::of(Some("url=https://x")), None);
        assert_eq!(AssetQuery::of(Some("v=1")), None);
        assert_eq!(AssetQuery::of(None), None);
        assert_eq!(
            AssetQuery::of_specifier("./w.ts?sharedworker"),
            Some(AssetQuery::SharedWorker)
        );
        assert_eq!(
            AssetQuery::of_specifier("./a.css?inline#x"),
            Some(AssetQuery::Inline)
        );
        assert_eq!(AssetQuery::of_specifier("./a.css"), None);
    }

    #[test]
    fn each_query_gives_the_module_vite_gives() {
        assert_eq!(
            string_module("a \"b\"\n"),
            "export default \"a \\\"b\\\"\\n\";\n"
        );
        let worker = worker_module("\"/w.ts\"", false);
        assert!(
            worker.contains("new Worker(\"/w.ts\", { type: 'module'"),
            "{worker}"
        );
        assert!(worker_module("u", true).contains("new SharedWorker(u"));
        assert_eq!(
            data_url("a.svg", b"<svg/>"),
            "data:image/svg+xml;base64,PHN2Zy8+"
        );
    }
}
