//! `hotplate.toml`: an optional file at the site root that `serve` and `build` both read.
//!
//! Every `serve` flag has a key of the same name (`strict-port = true`; a repeatable flag is a
//! list: `allowed-hosts`, `assets`, `restart-on`), and `[build]` holds `out`, `entries` and
//! `strict`. A flag given on the command line wins over the file.
//!
//! ```toml
//! port = 3000
//! open = true
//! jsx = "react-jsx"
//!
//! [build]
//! out = "public_html"          # relative to the root
//! entries = ["/drafts/preview"]
//! strict = true
//! ```
//!
//! The file is read with serde and toml. An unknown key or a wrong type is an error that names
//! the key and its line, and suggests the nearest valid key.

use crate::cli::{BuildArgs, ServeArgs};
use crate::error::{ConfigError, FatalError};
use crate::settings::Settings;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The file's name, at the site root.
pub const FILE: &str = "hotplate.toml";

/// What `hotplate.toml` says. Every key is optional.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    pub port: Option<u16>,
    pub host: Option<String>,
    pub strict_port: Option<bool>,
    pub open: Option<bool>,
    pub prod: Option<bool>,
    pub poll: Option<bool>,
    pub poll_interval: Option<u64>,
    pub allowed_hosts: Option<Vec<String>>,
    pub jsx: Option<String>,
    pub jsx_import_source: Option<String>,
    pub jsx_factory: Option<String>,
    pub jsx_fragment: Option<String>,
    pub no_fast_refresh: Option<bool>,
    pub proxy: Option<String>,
    pub assets: Option<Vec<String>>,
    pub exec: Option<String>,
    pub restart_on: Option<Vec<String>>,
    pub ready_timeout: Option<u64>,
    pub build: Option<BuildConfig>,
}

/// `[build]`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct BuildConfig {
    /// Where the build goes, relative to the root.
    pub out: Option<PathBuf>,
    /// URLs built besides those the crawl finds.
    pub entries: Option<Vec<String>>,
    pub strict: Option<bool>,
    /// Build only the asset folders, with `manifest.json` (`--manifest`).
    pub manifest: Option<bool>,
}

impl Config {
    /// Reads `root/hotplate.toml`; no file is an empty config.
    pub fn read(root: &Path) -> Result<Config, ConfigError> {
        let path = root.join(FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Config::parse(&path, &text),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
            Err(err) => Err(ConfigError {
                path,
                line: None,
                message: err.to_string(),
            }),
        }
    }

    /// Parses `text`, the content of the file at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        toml::from_str(text).map_err(|err| {
            let line = err
                .span()
                .map(|span| text[..span.start.min(text.len())].matches('\n').count() + 1);
            ConfigError {
                path: path.to_path_buf(),
                line,
                message: explain(&err, text),
            }
        })
    }

    /// Puts each key into `args` whose flag `given` says was not on the command line.
    pub fn apply_serve(&self, args: &mut ServeArgs, given: impl Fn(&str) -> bool) {
        macro_rules! take {
            ($field:ident) => {
                if let Some(value) = &self.$field
                    && !given(stringify!($field))
                {
                    args.$field = value.clone();
                }
            };
            ($field:ident, optional) => {
                if self.$field.is_some() && !given(stringify!($field)) {
                    args.$field = self.$field.clone();
                }
            };
        }
        take!(port);
        take!(host);
        take!(strict_port);
        take!(open);
        take!(prod);
        take!(poll);
        take!(poll_interval);
        take!(allowed_hosts);
        take!(proxy, optional);
        take!(assets);
        take!(exec, optional);
        take!(restart_on);
        take!(ready_timeout);
        take!(no_fast_refresh);
        self.apply_jsx(&mut args.jsx, &given);
    }

    /// Puts `[build]` (and the JSX keys) into `args` where the command line left them out.
    /// `out` is relative to `root`.
    pub fn apply_build(&self, args: &mut BuildArgs, root: &Path, given: impl Fn(&str) -> bool) {
        let build = self.build.clone().unwrap_or_default();
        if let Some(out) = build.out
            && !given("out")
        {
            args.out = Some(root.join(out));
        }
        if let Some(strict) = build.strict
            && !given("strict")
        {
            args.strict = strict;
        }
        if let Some(manifest) = build.manifest
            && !given("manifest")
        {
            args.manifest = manifest;
        }
        self.apply_jsx(&mut args.jsx, &given);
    }

    /// `[build] entries`.
    pub fn entries(&self) -> Vec<String> {
        self.build
            .as_ref()
            .and_then(|b| b.entries.clone())
            .unwrap_or_default()
    }

    fn apply_jsx(&self, jsx: &mut crate::cli::JsxArgs, given: &impl Fn(&str) -> bool) {
        for (value, field, id) in [
            (&self.jsx, &mut jsx.jsx, "jsx"),
            (
                &self.jsx_import_source,
                &mut jsx.jsx_import_source,
                "jsx_import_source",
            ),
            (&self.jsx_factory, &mut jsx.jsx_factory, "jsx_factory"),
            (&self.jsx_fragment, &mut jsx.jsx_fragment, "jsx_fragment"),
        ] {
            if value.is_some() && !given(id) {
                *field = value.clone();
            }
        }
    }
}

/// The settings `hotplate serve` runs with: its flags, with `ROOT/hotplate.toml` filling in
/// each one the command line did not give (`given` holds clap's ids of those it did). Called
/// at start, and again when the file changes.
pub fn serve_settings(args: &ServeArgs, given: &BTreeSet<String>) -> Result<Settings, FatalError> {
    let mut args = args.clone();
    Config::read(&args.root)?.apply_serve(&mut args, |id| given.contains(id));
    Settings::resolve(&args)
}

/// toml's message, said plainly: the key at fault, and the nearest valid one for an unknown
/// key.
fn explain(err: &toml::de::Error, text: &str) -> String {
    let message = err.message().trim().to_string();
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (key, rest) = rest.split_once('`').unwrap_or((rest, ""));
        // serde lists the valid keys of the table at fault after the unknown one, quoted.
        let known: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
        let nearest = known
            .iter()
            .map(|k| (strsim::damerau_levenshtein(key, k), *k))
            .min()
            .filter(|(distance, k)| *distance <= (k.len() / 2).max(2));
        return match nearest {
            Some((_, k)) => format!("unknown key `{key}`; did you mean `{k}`?"),
            None => format!(
                "unknown key `{key}`; the keys are {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
    }
    // A value of the wrong type: name the key written on that line.
    let key = err.span().and_then(|span| {
        let start = text[..span.start.min(text.len())]
            .rfind('\n')
            .map_or(0, |i| i + 1);
        let line = &text[start..];
        let (key, _) = line.split_once('=')?;
        Some(key.trim().trim_matches('"').to_string())
    });
    match key {
        Some(key) if !key.is_empty() => format!("`{key}`: {message}"),
        _ => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(Path::new("site/hotplate.toml"), text)
    }

    #[test]
    fn every_key_reads_into_its_field() {
        let config = parse(
            "port = 3000\nstrict-port = true\nallowed-hosts = [\"dev.local\"]\njsx = \"react-jsx\"\n\
             restart-on = [\"**/*.py\"]\n\n[build]\nout = \"public_html\"\nentries = [\"/a\"]\nstrict = true\n",
        )
        .unwrap();
        assert_eq!(config.port, Some(3000));
        assert_eq!(config.strict_port, Some(true));
        assert_eq!(config.allowed_hosts, Some(vec!["dev.local".to_string()]));
        assert_eq!(config.jsx.as_deref(), Some("react-jsx"));
        assert_eq!(config.restart_on, Some(vec!["**/*.py".to_string()]));
        assert_eq!(config.entries(), ["/a"]);
        let build = config.build.unwrap();
        assert_eq!(build.out, Some(PathBuf::from("public_html")));
        assert_eq!(build.strict, Some(true));
    }

    #[test]
    fn an_unknown_key_names_its_line_and_the_nearest_key() {
        let err = parse("open = true\nprot = 3000\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert_eq!(err.message, "unknown key `prot`; did you mean `port`?");
        assert_eq!(
            err.to_string(),
            "site/hotplate.toml:2: unknown key `prot`; did you mean `port`?"
        );
        let err = parse("[build]\nstrikt = true\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert_eq!(err.message, "unknown key `strikt`; did you mean `strict`?");
        let err = parse("zzzzzzzzzz = 1\n").unwrap_err();
        assert!(
            err.message.contains("the keys are `port`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_wrong_type_names_the_key_and_its_line() {
        let err = parse("open = true\n\nport = \"3000\"\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.starts_with("`port`: "), "{}", err.message);
        assert!(
            err.message.contains("u16") || err.message.contains("integer"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_flag_on_the_command_line_wins_over_the_file() {
        use clap::Parser;
        let config = parse("port = 3000\nopen = true\njsx = \"react-jsx\"\n").unwrap();
        let cli = crate::cli::Cli::parse_from(["hotplate", "serve", "--port", "5000"]);
        let crate::cli::Command::Serve(mut args) = cli.command else {
            unreachable!()
        };
        config.apply_serve(&mut args, |id| id == "port");
        assert_eq!(args.port, 5000, "given on the command line");
        assert!(args.open, "from the file");
        assert_eq!(args.jsx.jsx.as_deref(), Some("react-jsx"));
    }
}
