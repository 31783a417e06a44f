//! `import.meta.env`: what a module may read of its environment, as Vite gives it.
//!
//! - `MODE` (`development` when served, `production` when built), `DEV`, `PROD`, `BASE_URL`
//!   (`/`) and `SSR` (`false`: hotplate runs no module on the server).
//! - Every variable whose name starts with `VITE_` or `HOTPLATE_`, from the site root's
//!   `.env`, `.env.local`, `.env.[mode]` and `.env.[mode].local` (each later file wins), and
//!   from the process's own environment, which wins over the files (as in Vite).
//!
//! Nothing without one of those prefixes ever reaches the browser: `.env` files hold secrets
//! (a database password, an API key), and the browser is not the place for them. The dev
//! server gives a module that names `import.meta.env` a one-line prologue that sets it; the
//! build defines each value, so that `if (import.meta.env.DEV)` branches go.
//!
//! The files are read as Vite reads them (node's `dotenv`, then `dotenv-expand`): see
//! [`parse`]. The Rust crates for the format (`dotenvy`) follow the shell instead, and refuse
//! `VITE_TITLE=My App`, which every Vite app may write.

use std::collections::BTreeMap;
use std::path::Path;

/// The prefixes of the variables a page may see.
pub const PREFIXES: &[&str] = &["VITE_", "HOTPLATE_"];

/// Whether `relative`, a path in the site, is an env file: `.env` or `.env.<something>` at the
/// root (watched, although hidden and often git-ignored).
pub fn is_env_file(relative: &str) -> bool {
    !relative.contains('/') && (relative == ".env" || relative.starts_with(".env."))
}

/// What `import.meta.env` holds.
#[derive(Clone, Debug, PartialEq)]
pub struct Env {
    values: BTreeMap<String, serde_json::Value>,
}

impl Env {
    /// The environment of the site at `root` in `mode` (`development` or `production`).
    pub fn load(root: &Path, mode: &str) -> Env {
        let mut values = BTreeMap::new();
        // Everything read so far, public or not: what `${NAME}` expands to.
        let mut read = BTreeMap::new();
        let files = [
            ".env".to_string(),
            ".env.local".to_string(),
            format!(".env.{mode}"),
            format!(".env.{mode}.local"),
        ];
        for name in files {
            let path = root.join(&name);
            if !path.is_file() {
                continue;
            }
            match std::fs::read_to_string(&path) {
                Ok(text) => {
                    for (key, value) in parse(&text, &read) {
                        read.insert(key.clone(), value.clone());
                        if is_public(&key) {
                            values.insert(key, serde_json::Value::String(value));
                        }
                    }
                }
                Err(err) => tracing::warn!("{name}: {err}"),
            }
        }
        for (key, value) in std::env::vars() {
            if is_public(&key) {
                values.insert(key, serde_json::Value::String(value));
            }
        }
        let production = mode == "production";
        let builtin = [
            ("BASE_URL", serde_json::json!("/")),
            ("MODE", serde_json::json!(mode)),
            ("DEV", serde_json::json!(!production)),
            ("PROD", serde_json::json!(production)),
            ("SSR", serde_json::json!(false)),
        ];
        for (key, value) in builtin {
            values.insert(key.to_string(), value);
        }
        Env { values }
    }

    /// `import.meta.env` as a JavaScript object literal.
    pub fn object(&self) -> String {
        serde_json::to_string(&self.values).expect("values serialize")
    }

    /// The dev server's prologue for a module that names `import.meta.env`: one line, no
    /// newline (the module's first line follows it).
    pub fn prologue(&self) -> String {
        format!("import.meta.env = {}; ", self.object())
    }

    /// The build's definitions: `import.meta.env` itself, and each of its keys.
    pub fn defines(&self) -> Vec<(String, String)> {
        let mut defines = vec![("import.meta.env".to_string(), self.object())];
        for (key, value) in &self.values {
            defines.push((format!("import.meta.env.{key}"), value.to_string()));
        }
        defines
    }
}

fn is_public(key: &str) -> bool {
    PREFIXES.iter().any(|prefix| key.starts_with(prefix))
}

/// The `KEY=value` pairs of a `.env` file, in order, as node's `dotenv` reads them:
///
/// - `#` starts a comment, unless it is inside quotes; blank lines and lines without `=` are
///   skipped; `export ` before a key is allowed;
/// - an unquoted value is the rest of the line, trimmed (`TITLE=My App` is `My App`);
/// - a value in `'…'`, `"…"` or backquotes may span lines; in `"…"`, `\n` is a newline;
/// - then, as `dotenv-expand` does, `${NAME}` and `$NAME` outside single quotes become the
///   value of `NAME` read before (from `earlier`, this file, or the process's environment),
///   `\$` a dollar sign.
pub fn parse(text: &str, earlier: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let line = &rest[..line_end];
        let Some((key, after)) = line.split_once('=') else {
            rest = &rest[line_end..];
            continue;
        };
        let key = key.trim();
        let key = key.strip_prefix("export ").map_or(key, str::trim);
        let valid = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
        if !valid || key.starts_with('#') {
            rest = &rest[line_end..];
            continue;
        }
        let start = line.len() - after.len();
        let value_text = rest[start..].trim_start_matches([' ', '\t']);
        let quote = value_text
            .chars()
            .next()
            .filter(|c| matches!(c, '\'' | '"' | '`'));
        let (value, consumed, expand) = match quote {
            Some(quote) => match value_text[1..].find(quote) {
                Some(end) => {
                    let inner = &value_text[1..1 + end];
                    let after_quote = &value_text[1 + end + 1..];
                    let line_rest = after_quote.find('\n').map_or(after_quote.len(), |i| i + 1);
                    let inner = if quote == '"' {
                        inner.replace("\\n", "\n").replace("\\r", "\r")
                    } else {
                        inner.to_string()
                    };
                    let consumed = rest.len() - after_quote.len() + line_rest;
                    (inner, consumed, quote != '\'')
                }
                // No closing quote: the rest of the line, as written.
                None => {
                    let end = value_text.find('\n').unwrap_or(value_text.len());
                    (value_text[..end].trim().to_string(), line_end, true)
                }
            },
            None => {
                let end = value_text.find('\n').unwrap_or(value_text.len());
                let value = value_text[..end]
                    .split(" #")
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_string();
                (value, line_end, true)
            }
        };
        let value = if expand {
            expand_names(&value, |name| {
                pairs
                    .iter()
                    .rev()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
                    .or_else(|| earlier.get(name).cloned())
                    .or_else(|| std::env::var(name).ok())
            })
        } else {
            value
        };
        pairs.push((key.to_string(), value));
        rest = &rest[consumed.min(rest.len())..];
    }
    pairs
}

/// `value` with `${NAME}` and `$NAME` replaced by what `lookup` gives (nothing when it gives
/// nothing), and `\$` by `$`.
fn expand_names(value: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\\' && value[i + 1..].starts_with('$') {
            out.push('$');
            chars.next();
            continue;
        }
        if c != '$' {
            out.push(c);
            continue;
        }
        let tail = &value[i + 1..];
        let (name, skip) = if let Some(braced) = tail.strip_prefix('{') {
            match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            }
        } else {
            let end = tail
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(tail.len());
            (&tail[..end], end)
        };
        if name.is_empty() {
            out.push('$');
            continue;
        }
        out.push_str(&lookup(name.split(":-").next().unwrap_or(name)).unwrap_or_default());
        for _ in 0..tail[..skip].chars().count() {
            chars.next();
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_files_win_and_only_prefixed_names_are_kept() {
        let dir = testkit::site(&[
            (
                ".env",
                "VITE_TITLE=plain\nSECRET=hunter2\nVITE_ONLY_ENV=yes\n",
            ),
            (".env.local", "VITE_TITLE=local\nHOTPLATE_FLAG=on\n"),
            (".env.development", "VITE_TITLE=dev\nVITE_QUOTED=\"a b\"\n"),
            (".env.development.local", "VITE_TITLE=dev local\n"),
            (".env.production", "VITE_TITLE=prod\n"),
        ]);
        let env = Env::load(dir.path(), "development");
        let object: serde_json::Value = serde_json::from_str(&env.object()).unwrap();
        assert_eq!(object["VITE_TITLE"], "dev local");
        assert_eq!(object["VITE_ONLY_ENV"], "yes");
        assert_eq!(object["HOTPLATE_FLAG"], "on");
        assert_eq!(object["VITE_QUOTED"], "a b");
        assert_eq!(object["MODE"], "development");
        assert_eq!(object["DEV"], true);
        assert_eq!(object["PROD"], false);
        assert_eq!(object["BASE_URL"], "/");
        assert_eq!(object["SSR"], false);
        assert!(!env.object().contains("hunter2"), "{}", env.object());

        let built = Env::load(dir.path(), "production");
        let defines: BTreeMap<String, String> = built.defines().into_iter().collect();
        assert_eq!(defines["import.meta.env.VITE_TITLE"], "\"prod\"");
        assert_eq!(defines["import.meta.env.PROD"], "true");
        assert!(defines["import.meta.env"].contains("\"MODE\":\"production\""));
        assert!(!defines.values().any(|v| v.contains("hunter2")));
    }

    #[test]
    fn the_format_is_read_as_nodes_dotenv_reads_it() {
        let text = "# a comment\n\
                    TITLE=My App  # trailing comment\n\
                    export EXPORTED=yes\n\
                    SINGLE='no $TITLE here'\n\
                    DOUBLE=\"two\\nlines\"\n\
                    MULTI=\"first\nsecond\"\n\
                    HASH=\"a # b\"\n\
                    EXPANDED=${TITLE}!\n\
                    DOLLAR=\\$5\n\
                    not a pair\n\
                    EMPTY=\n";
        let pairs: BTreeMap<String, String> = parse(text, &BTreeMap::new()).into_iter().collect();
        assert_eq!(pairs["TITLE"], "My App");
        assert_eq!(pairs["EXPORTED"], "yes");
        assert_eq!(pairs["SINGLE"], "no $TITLE here");
        assert_eq!(pairs["DOUBLE"], "two\nlines");
        assert_eq!(pairs["MULTI"], "first\nsecond");
        assert_eq!(pairs["HASH"], "a # b");
        assert_eq!(pairs["EXPANDED"], "My App!");
        assert_eq!(pairs["DOLLAR"], "$5");
        assert_eq!(pairs["EMPTY"], "");
        assert_eq!(pairs.len(), 9, "{pairs:?}");
    }

    #[test]
    fn env_files_are_the_roots_dotenv_files() {
        for name in [
            ".env",
            ".env.local",
            ".env.production",
            ".env.staging.local",
        ] {
            assert!(is_env_file(name), "{name}");
        }
        for name in ["env", ".envrc", "src/.env", ".environment"] {
            assert!(!is_env_file(name), "{name}");
        }
    }
}
