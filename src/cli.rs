//! The command line, as raw flags. [`crate::settings::Settings::resolve`] turns them into the
//! settings that the stages read; nothing downstream looks at argv.

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use std::collections::BTreeSet;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "hotplate",
    version,
    about = "A development server with hot updates that keep page state"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

impl Cli {
    /// Parses the process's arguments (exiting with clap's message on a bad one), and says
    /// which flags of the subcommand were given on the command line (clap's ids: field names),
    /// so that `hotplate.toml` fills in only the others.
    pub fn parse_given() -> (Cli, BTreeSet<String>) {
        Cli::parse_given_from(std::env::args_os()).unwrap_or_else(|err| err.exit())
    }

    /// [`Cli::parse_given`] for the arguments `args` (the first is the program's name).
    pub fn parse_given_from<I, T>(args: I) -> Result<(Cli, BTreeSet<String>), clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        let matches = Cli::command().try_get_matches_from(args)?;
        let cli = Cli::from_arg_matches(&matches)?;
        let given = matches
            .subcommand()
            .map(|(_, sub)| given(sub))
            .unwrap_or_default();
        Ok((cli, given))
    }
}

/// The ids of the arguments `matches` got from the command line.
fn given(matches: &ArgMatches) -> BTreeSet<String> {
    matches
        .ids()
        .filter(|id| matches.value_source(id.as_str()) == Some(ValueSource::CommandLine))
        .map(|id| id.as_str().to_string())
        .collect()
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve a site folder, or stand in front of a backend (--proxy), pushing updates to open
    /// pages as files change.
    Serve(Box<ServeArgs>),
    /// Build the site into a folder any static host serves: every page a visitor can reach,
    /// scripts bundled, stylesheets minified, assets fingerprinted, `.br` and `.gz` beside.
    Build(Box<BuildArgs>),
    /// Send a custom event to every page of a running server: `import.meta.hot.on(EVENT, cb)`
    /// gets DATA. (What pages send back streams from /__hotplate/received.)
    Send(SendArgs),
}

#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// The event's name.
    pub event: String,

    /// Its data, as JSON (`null` when left out).
    pub data: Option<String>,

    /// The port the server listens on.
    #[arg(long, short, default_value_t = 4000)]
    pub port: u16,

    /// The address the server listens on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
}

#[derive(Debug, Clone, Args)]
pub struct BuildArgs {
    /// The site folder to build.
    #[arg(default_value = ".")]
    pub root: PathBuf,

    /// Where the build goes (replaced whole, and only when the build succeeds). Default:
    /// `dist` in the site folder.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,

    /// Fail the build when a page links to, or loads, something nothing answers.
    #[arg(long)]
    pub strict: bool,

    /// For a backend that renders its own pages: build only the asset folders (`static/`,
    /// `assets/`, or hotplate.toml's `assets`) and write `manifest.json` in Vite's format.
    #[arg(long)]
    pub manifest: bool,

    #[command(flatten)]
    pub jsx: JsxArgs,
}

/// How JSX compiles, whatever tsconfig.json says (for `serve` and `build` alike).
#[derive(Debug, Clone, Default, Args)]
pub struct JsxArgs {
    /// How JSX compiles, whatever tsconfig.json says: `react` (classic calls to the factory),
    /// `react-jsx` (the automatic runtime) or `react-jsxdev`. Default: the nearest
    /// tsconfig.json's `jsx`, else `react`.
    #[arg(long, value_name = "MODE", value_parser = ["react", "react-jsx", "react-jsxdev", "preserve"])]
    pub jsx: Option<String>,

    /// Where the automatic runtime comes from (`preact` means `preact/jsx-runtime`), whatever
    /// tsconfig.json's `jsxImportSource` says.
    #[arg(long, value_name = "PACKAGE")]
    pub jsx_import_source: Option<String>,

    /// The classic runtime's element factory (`h`), whatever tsconfig.json's `jsxFactory`
    /// says. Default: `React.createElement`.
    #[arg(long, value_name = "NAME")]
    pub jsx_factory: Option<String>,

    /// The classic runtime's fragment (`Fragment`), whatever tsconfig.json's
    /// `jsxFragmentFactory` says. Default: `React.Fragment`.
    #[arg(long, value_name = "NAME")]
    pub jsx_fragment: Option<String>,
}

impl JsxArgs {
    /// The flags as JSX settings written (each given one wins over tsconfig.json's).
    pub fn written(&self) -> crate::rewrite::ts::JsxOptionsWritten {
        crate::rewrite::ts::JsxOptionsWritten {
            mode: self.jsx.clone(),
            import_source: self.jsx_import_source.clone(),
            factory: self.jsx_factory.clone(),
            fragment: self.jsx_fragment.clone(),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The site folder to serve.
    #[arg(default_value = ".")]
    pub root: PathBuf,

    /// Port to listen on. If it is taken, the next free port is used unless --strict-port.
    #[arg(long, short, default_value_t = 4000)]
    pub port: u16,

    /// Address to listen on. Without a value: 0.0.0.0, every interface (prints a warning).
    #[arg(long, num_args = 0..=1, default_value = "127.0.0.1", default_missing_value = "0.0.0.0")]
    pub host: String,

    /// Fail instead of trying the next port when --port is taken.
    #[arg(long)]
    pub strict_port: bool,

    /// Open the site in the default browser once the server is listening.
    #[arg(long)]
    pub open: bool,

    /// Production behaviour: no client runtime, no watcher, long-lived caching for `?v=` URLs.
    #[arg(long)]
    pub prod: bool,

    /// Watch by polling the file system instead of native events (network drives, containers).
    #[arg(long)]
    pub poll: bool,

    /// Polling interval in milliseconds, with --poll.
    #[arg(long, default_value_t = 200, requires = "poll")]
    pub poll_interval: u64,

    /// Another host name that may reach the server (the Host header check stops DNS rebinding).
    #[arg(long = "allowed-host", value_name = "NAME")]
    pub allowed_hosts: Vec<String>,

    #[command(flatten)]
    pub jsx: JsxArgs,

    /// Reload React and Preact components when saved, instead of re-rendering them in place
    /// with their state (Fast Refresh, on for modules whose JSX runtime is React's or
    /// Preact's).
    #[arg(long)]
    pub no_fast_refresh: bool,

    /// Put hot updates in front of a backend (Django, Rails, Go, Express…) listening at URL:
    /// every path hotplate does not own is forwarded there, and its pages get the runtime.
    #[arg(long, value_name = "URL", conflicts_with = "prod")]
    pub proxy: Option<String>,

    /// With --proxy: serve the files of DIR at URL PREFIX (`/static=./static`) with CSS swaps
    /// and import.meta.hot, before the backend. Repeatable. Default: `static/` and `assets/` of
    /// ROOT at `/static` and `/assets`, `public/` at `/` in a Node or Rails project, and every
    /// `APP/static` at `/static` in a Django project, for the folders that exist.
    #[arg(long, value_name = "PREFIX=DIR", requires = "proxy")]
    pub assets: Vec<String>,

    /// With --proxy: start the backend with this shell command, restart it when its source
    /// changes, and show its crashes in the browser.
    #[arg(long, value_name = "COMMAND", requires = "proxy")]
    pub exec: Option<String>,

    /// With --exec: restart the backend when a file matching GLOB changes (repeatable).
    /// Default by what ROOT holds: `**/*.rs` with a Cargo.toml, `**/*.go` with a go.mod,
    /// `**/*.py` for Python, `config/**/*.rb` with a Gemfile, `**/*.{js,mjs,cjs,ts}` with a
    /// package.json.
    #[arg(long = "restart-on", value_name = "GLOB", requires = "exec")]
    pub restart_on: Vec<String>,

    /// With --exec: how long a started backend may take to answer HTTP before hotplate says so.
    #[arg(long, value_name = "SECONDS", default_value_t = 120, requires = "exec")]
    pub ready_timeout: u64,
}
