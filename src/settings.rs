//! Resolved settings: the one value every stage receives.
//!
//! [`Settings::resolve`] checks the raw [`ServeArgs`] once (the root exists, the host parses)
//! and settles everything derived from them: the canonical root, the listen address, the
//! per-start `version` and boot id.

use crate::cli::ServeArgs;
use crate::error::FatalError;
use crate::rewrite::ts::JsxOptionsWritten;
use std::net::{IpAddr, Ipv4Addr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Development (hot updates) or production (no client, long-lived caching).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Dev,
    Prod,
}

/// A folder hotplate watches for an app it is embedded in ([`crate::layer()`]), instead of a
/// whole site.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// Canonical, under the root.
    pub folder: PathBuf,
    /// `Some("/static")`: the app serves the folder's files at that URL prefix (scripts and
    /// stylesheets get hot updates). `None`: templates, which only the server reads.
    pub prefix: Option<String>,
}

/// A backend hotplate stands in front of (`--proxy`).
#[derive(Clone, Debug)]
pub struct Proxy {
    /// Where it listens: `http://127.0.0.1:3000`, scheme and authority only.
    pub origin: String,
    /// The authority alone: `127.0.0.1:3000`.
    pub authority: String,
    /// The shell command that starts it, when hotplate supervises it (`--exec`).
    pub exec: Option<String>,
    /// The files whose change restarts it (globs relative to the root; with `exec`).
    pub restart_on: Globs,
    /// How long a started backend may take to answer before hotplate reports it.
    pub ready_timeout: Duration,
    /// How long a request waits for a backend that is starting (or, for a page's hot refresh,
    /// one that went away) before it is answered without it.
    pub patience: Duration,
}

impl Proxy {
    /// A backend at `url` (`http://host:port`), not supervised.
    pub fn to(url: &str) -> Result<Proxy, FatalError> {
        let bad = |why: &str| FatalError::BadProxy {
            url: url.to_string(),
            why: why.to_string(),
        };
        let uri: axum::http::Uri = url
            .parse()
            .map_err(|_| bad("not a URL; write it like http://127.0.0.1:3000"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(_) => return Err(bad("hotplate forwards to plain http:// backends only")),
            None => return Err(bad("give the scheme too, like http://127.0.0.1:3000")),
        }
        let authority = uri
            .authority()
            .ok_or_else(|| bad("no host; write it like http://127.0.0.1:3000"))?
            .to_string();
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(bad(
                "give the backend's origin only (http://host:port): paths are forwarded as they are",
            ));
        }
        Ok(Proxy {
            origin: format!("http://{authority}"),
            authority,
            exec: None,
            restart_on: Globs::default(),
            ready_timeout: Duration::from_secs(120),
            patience: Duration::from_secs(10),
        })
    }

    /// Whether it is `addr` itself, where a server bound to `interfaces` listens: forwarding
    /// there would loop. A name is looked up (`localhost`, or this machine's name).
    pub async fn is_at(&self, addr: std::net::SocketAddr, interfaces: &[IpAddr]) -> bool {
        if self.port() != addr.port() {
            return false;
        }
        let found: Vec<IpAddr> = match tokio::net::lookup_host(&self.authority).await {
            Ok(found) => found.map(|a| a.ip()).collect(),
            Err(_) => return false,
        };
        found.into_iter().any(|ip| {
            // 0.0.0.0 as a destination is this machine's loopback.
            let ip = match ip {
                IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
                ip => ip,
            };
            ip == addr.ip()
                || (addr.ip().is_unspecified() && (ip.is_loopback() || interfaces.contains(&ip)))
        })
    }

    /// The port it listens on (given, or 80).
    pub fn port(&self) -> u16 {
        self.authority
            .rsplit_once(':')
            .and_then(|(_, port)| port.parse().ok())
            .unwrap_or(80)
    }
}

#[derive(Clone, Debug)]
pub struct Settings {
    /// The site root, canonical (symlinks resolved): every served file must lie under it.
    pub root: PathBuf,
    pub host: IpAddr,
    /// 0 asks the OS for a free port.
    pub port: u16,
    pub strict_port: bool,
    pub open: bool,
    pub mode: Mode,
    /// `Some(interval)` watches by polling.
    pub poll: Option<Duration>,
    /// Host names accepted besides localhost, loopback addresses and the bound address.
    pub allowed_hosts: Vec<String>,
    /// This machine's own addresses, loopback excepted: a server listening on every interface
    /// may be reached by any of them (and is listed by them in the banner).
    pub interfaces: Vec<IpAddr>,
    /// Random per start; templates see it as `{{ version }}` for cache busting.
    pub version: String,
    /// Random per start; prefixes every SSE event id so a client can tell a restart.
    pub boot: String,
    /// How often the hub sends a keep-alive comment.
    pub keep_alive: Duration,
    /// How long the browser waits before reconnecting (the SSE `retry:` field).
    pub retry: Duration,
    /// How long a connection may take to send a request's head, and how long a kept-alive
    /// connection may stay idle.
    pub header_timeout: Duration,
    /// How many template instructions one render may run before it stops with an error: far
    /// more than a real page needs (the example site's take a few thousand), far fewer than a
    /// runaway loop.
    pub render_fuel: u64,
    /// Empty for a site (the root is served by its layout). For an app, the folders watched
    /// under the root, and where the app serves them.
    pub mounts: Vec<Mount>,
    /// The backend everything else goes to (`--proxy`). Its root is then watched whole, as a
    /// mount without a prefix, beside the asset folders it maps.
    pub proxy: Option<Proxy>,
    /// The `--jsx*` flags: how JSX compiles, whatever a `tsconfig.json` says.
    pub jsx: JsxOptionsWritten,
    /// Whether React and Preact components re-render in place when saved (Fast Refresh), for
    /// modules whose JSX runtime is one of theirs. On unless `--no-fast-refresh`.
    pub fast_refresh: bool,
    /// In production: `root` is a build (`hotplate build`'s output), served as a static host
    /// would serve it (see `serve::built`).
    pub built: bool,
}

impl Settings {
    /// Validates raw flags and settles them into settings.
    pub fn resolve(args: &ServeArgs) -> Result<Settings, FatalError> {
        let mut settings = Settings::for_root(&args.root)?;
        settings.host = parse_host(&args.host)?;
        settings.port = args.port;
        settings.strict_port = args.strict_port;
        settings.open = args.open;
        settings.mode = if args.prod { Mode::Prod } else { Mode::Dev };
        settings.poll = args
            .poll
            .then(|| Duration::from_millis(args.poll_interval.max(10)));
        settings.allowed_hosts = args.allowed_hosts.clone();
        settings.jsx = args.jsx.written();
        settings.fast_refresh = !args.no_fast_refresh;
        if let Some(url) = &args.proxy {
            let mut proxy = Proxy::to(url)?;
            proxy.exec = args
                .exec
                .clone()
                .filter(|command| !command.trim().is_empty());
            proxy.ready_timeout = Duration::from_secs(args.ready_timeout.max(1));
            proxy.restart_on = if args.restart_on.is_empty() {
                default_restart_globs(&settings.root)
            } else {
                Globs::new(args.restart_on.clone())?
            };
            settings.proxy_to(proxy, &args.assets)?;
        }
        Ok(settings)
    }

    /// Defaults for serving `root` in dev mode on 127.0.0.1 and a free port (what tests use).
    pub fn for_root(root: impl Into<PathBuf>) -> Result<Settings, FatalError> {
        let path = root.into();
        let root = std::fs::canonicalize(&path)
            .and_then(|p| {
                if p.is_dir() {
                    Ok(p)
                } else {
                    Err(std::io::Error::new(
                        std::io::ErrorKind::NotADirectory,
                        "not a folder",
                    ))
                }
            })
            .map_err(|source| FatalError::RootMissing { path, source })?;
        Ok(Settings {
            root,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            strict_port: false,
            open: false,
            mode: Mode::Dev,
            poll: None,
            allowed_hosts: Vec::new(),
            jsx: JsxOptionsWritten::default(),
            fast_refresh: true,
            built: false,
            interfaces: interface_addresses(),
            version: random_token(),
            boot: random_token(),
            keep_alive: Duration::from_secs(15),
            retry: Duration::from_millis(500),
            header_timeout: Duration::from_secs(5),
            render_fuel: 50_000_000,
            mounts: Vec::new(),
            proxy: None,
        })
    }

    /// Sets the settings up to proxy to `proxy`, with asset folders mapped by `assets`
    /// (`/static=./static`; the defaults when empty): the root is watched whole.
    pub fn proxy_to(&mut self, proxy: Proxy, assets: &[String]) -> Result<(), FatalError> {
        self.mount_assets(assets)?;
        self.proxy = Some(proxy);
        Ok(())
    }

    fn mount_assets(&mut self, assets: &[String]) -> Result<(), FatalError> {
        let specs: Vec<(String, PathBuf)> = if assets.is_empty() {
            default_assets(&self.root)
        } else {
            assets
                .iter()
                .map(|spec| parse_assets(spec))
                .collect::<Result<_, _>>()?
        };
        self.mounts = vec![Mount {
            folder: self.root.clone(),
            prefix: None,
        }];
        for (prefix, folder) in specs {
            let spec = format!("{prefix}={}", folder.display());
            let folder = std::fs::canonicalize(self.root.join(&folder)).map_err(|err| {
                FatalError::BadAssets {
                    spec: spec.clone(),
                    why: format!("cannot read the folder: {err}"),
                }
            })?;
            if !folder.is_dir() || !folder.starts_with(&self.root) {
                return Err(FatalError::BadAssets {
                    spec,
                    why: format!(
                        "{} must be a folder inside the root, {}",
                        folder.display(),
                        self.root.display()
                    ),
                });
            }
            self.mounts.push(Mount {
                folder,
                prefix: Some(prefix),
            });
        }
        Ok(())
    }

    /// The asset folders mapped to URL prefixes (an app's or a proxy's).
    pub fn asset_mounts(&self) -> impl Iterator<Item = &Mount> {
        self.mounts.iter().filter(|mount| mount.prefix.is_some())
    }

    pub fn is_dev(&self) -> bool {
        self.mode == Mode::Dev
    }

    /// Whether the server listens beyond this machine.
    pub fn is_exposed(&self) -> bool {
        !self.host.is_loopback()
    }
}

/// The folders mapped by default when they exist, at their own name.
const DEFAULT_ASSETS: &[&str] = &["static", "assets"];

/// The asset folders mapped when `--assets` is not given: `static/` and `assets/` of the root
/// at `/static` and `/assets`; `public/` at `/` for Node and Rails projects; and in a Django
/// project (a `manage.py`) every app's `static/` at `/static`, where Django's development
/// server serves them.
/// The asset folders (canonical, under `root`) that `specs` (`--assets PREFIX=DIR`) name, or the
/// default ones when there are none: what `hotplate build --manifest` builds.
pub fn asset_folders(root: &Path, specs: &[String]) -> Result<Vec<PathBuf>, FatalError> {
    let specs: Vec<(String, PathBuf)> = if specs.is_empty() {
        default_assets(root)
    } else {
        specs
            .iter()
            .map(|spec| parse_assets(spec))
            .collect::<Result<_, _>>()?
    };
    Ok(specs
        .into_iter()
        .filter_map(|(_, folder)| std::fs::canonicalize(root.join(folder)).ok())
        .filter(|folder| folder.is_dir() && folder.starts_with(root))
        .collect())
}

fn default_assets(root: &Path) -> Vec<(String, PathBuf)> {
    let mut specs: Vec<(String, PathBuf)> = DEFAULT_ASSETS
        .iter()
        .filter(|folder| root.join(folder).is_dir())
        .map(|folder| (format!("/{folder}"), PathBuf::from(folder)))
        .collect();
    // Express, Koa, Rails: `public/` is served at the root (not PHP's, where it holds
    // index.php and the rest of the app's entry points).
    let has = |name: &str| root.join(name).exists();
    if root.join("public").is_dir()
        && (has("package.json") || has("Gemfile"))
        && !has("composer.json")
    {
        specs.push(("/".to_string(), PathBuf::from("public")));
    }
    if root.join("manage.py").is_file()
        && let Ok(entries) = std::fs::read_dir(root)
    {
        let mut apps: Vec<PathBuf> = entries
            .flatten()
            .map(|entry| entry.path().join("static"))
            .filter(|folder| folder.is_dir())
            .filter_map(|folder| folder.strip_prefix(root).ok().map(Path::to_path_buf))
            .collect();
        apps.sort();
        specs.extend(
            apps.into_iter()
                .map(|folder| ("/static".to_string(), folder)),
        );
    }
    specs
}

/// `/static=./static` → (`/static`, `./static`).
fn parse_assets(spec: &str) -> Result<(String, PathBuf), FatalError> {
    let bad = |why: &str| FatalError::BadAssets {
        spec: spec.to_string(),
        why: why.to_string(),
    };
    let (prefix, folder) = spec
        .split_once('=')
        .ok_or_else(|| bad("write it as URL-PREFIX=FOLDER, like /static=./static"))?;
    let prefix = prefix.trim();
    if !prefix.starts_with('/') || prefix.contains(['?', '#', '\\']) {
        return Err(bad(
            "the URL prefix must be a path, like /static (or / for the root)",
        ));
    }
    if folder.trim().is_empty() {
        return Err(bad("no folder after ="));
    }
    // `/static/` and `/static` are one prefix; `/` stays `/`.
    let prefix = format!("/{}", prefix.trim_matches('/'));
    Ok((prefix, PathBuf::from(folder.trim())))
}

/// Globs of files relative to the root, compiled once into one matcher (`*` stays within a
/// folder, as in a shell).
#[derive(Clone, Debug, Default)]
pub struct Globs {
    written: Vec<String>,
    set: globset::GlobSet,
}

impl Globs {
    /// The globs as written; one that is not a glob is an error that names it.
    pub fn new(written: Vec<String>) -> Result<Globs, FatalError> {
        let mut set = globset::GlobSetBuilder::new();
        for glob in &written {
            let compiled = globset::GlobBuilder::new(glob)
                .literal_separator(true)
                .build()
                .map_err(|source| FatalError::BadGlob {
                    glob: glob.clone(),
                    source,
                })?;
            set.add(compiled);
        }
        let set = set.build().map_err(|source| FatalError::BadGlob {
            glob: written.join(", "),
            source,
        })?;
        Ok(Globs { written, set })
    }

    /// Whether `path` (relative to the root, `/`-separated) matches one of them.
    pub fn is_match(&self, path: &str) -> bool {
        self.set.is_match(path)
    }

    /// The globs as written.
    pub fn written(&self) -> &[String] {
        &self.written
    }

    pub fn is_empty(&self) -> bool {
        self.written.is_empty()
    }
}

/// What restarts a backend by default, by the project files at the root.
pub fn default_restart_globs(root: &Path) -> Globs {
    let has = |name: &str| root.join(name).exists();
    let mut globs = Vec::new();
    if has("Cargo.toml") {
        globs.extend(["**/*.rs", "**/Cargo.toml"]);
    }
    if has("go.mod") {
        globs.extend(["**/*.go", "go.mod", "go.sum"]);
    }
    let python = [
        "manage.py",
        "pyproject.toml",
        "requirements.txt",
        "setup.py",
    ]
    .iter()
    .any(|name| has(name))
        || std::fs::read_dir(root).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|entry| entry.file_name().to_string_lossy().ends_with(".py"))
        });
    if python {
        globs.push("**/*.py");
    }
    if has("Gemfile") {
        globs.extend(["Gemfile", "Gemfile.lock", "config/**/*.rb"]);
    }
    if has("package.json") {
        globs.extend(["**/*.{js,mjs,cjs,ts}", "package.json"]);
    }
    Globs::new(globs.into_iter().map(str::to_string).collect())
        .expect("the default globs are globs")
}

fn parse_host(host: &str) -> Result<IpAddr, FatalError> {
    if let Ok(ip) = host.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(ip);
    }
    (host, 0)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .map(|addr| addr.ip())
        .ok_or_else(|| FatalError::BadHost {
            host: host.to_string(),
        })
}

/// The addresses of this machine's network interfaces, loopback excepted. None when they
/// cannot be read: an exposed server is then reached by its bound address or a name.
fn interface_addresses() -> Vec<IpAddr> {
    match if_addrs::get_if_addrs() {
        Ok(interfaces) => interfaces
            .iter()
            .filter(|interface| !interface.is_loopback())
            .map(|interface| interface.ip())
            .collect(),
        Err(err) => {
            tracing::warn!("cannot list this machine's network addresses: {err}");
            Vec::new()
        }
    }
}

/// Eight random hex digits.
fn random_token() -> String {
    format!("{:08x}", fastrand::u32(..))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_may_be_addresses_or_names() {
        assert_eq!(
            parse_host("0.0.0.0").unwrap(),
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        );
        assert_eq!(parse_host("[::1]").unwrap().to_string(), "::1");
        assert!(parse_host("localhost").unwrap().is_loopback());
        assert!(matches!(
            parse_host("no such host!"),
            Err(FatalError::BadHost { .. })
        ));
    }

    #[test]
    fn a_missing_root_is_fatal() {
        let err = Settings::for_root("/definitely/not/here").unwrap_err();
        assert!(matches!(err, FatalError::RootMissing { .. }));
        assert!(err.to_string().contains("/definitely/not/here"));
    }

    #[test]
    fn a_backend_is_an_http_origin() {
        let proxy = Proxy::to("http://127.0.0.1:3000/").unwrap();
        assert_eq!(proxy.origin, "http://127.0.0.1:3000");
        assert_eq!(proxy.port(), 3000);
        assert_eq!(Proxy::to("http://localhost").unwrap().port(), 80);
        for (url, says) in [
            ("https://127.0.0.1:3000", "plain http://"),
            ("127.0.0.1:3000", "scheme"),
            ("http://127.0.0.1:3000/app", "origin only"),
            ("not a url at all", "not a URL"),
        ] {
            let err = Proxy::to(url).unwrap_err().to_string();
            assert!(err.contains(says), "{url}: {err}");
        }
    }

    #[test]
    fn asset_folders_are_mapped_by_flag_or_by_default() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("static")).unwrap();
        std::fs::create_dir_all(root.path().join("web/dist")).unwrap();
        let proxy = || Proxy::to("http://127.0.0.1:3000").unwrap();
        let prefixes = |settings: &Settings| -> Vec<Option<String>> {
            settings.mounts.iter().map(|m| m.prefix.clone()).collect()
        };

        let mut settings = Settings::for_root(root.path()).unwrap();
        settings.proxy_to(proxy(), &[]).unwrap();
        // The root is watched whole; `static/` exists, `assets/` does not.
        assert_eq!(prefixes(&settings), [None, Some("/static".into())]);

        let mut settings = Settings::for_root(root.path()).unwrap();
        settings
            .proxy_to(proxy(), &["/js/=./web/dist".to_string()])
            .unwrap();
        assert_eq!(prefixes(&settings), [None, Some("/js".into())]);
        assert!(settings.mounts[1].folder.ends_with("web/dist"));

        let mut settings = Settings::for_root(root.path()).unwrap();
        settings
            .proxy_to(proxy(), &["/=static".to_string()])
            .unwrap();
        assert_eq!(prefixes(&settings), [None, Some("/".into())]);

        for (spec, says) in [
            ("static", "URL-PREFIX=FOLDER"),
            ("static=static", "must be a path"),
            ("/x=missing", "cannot read"),
            ("/x=..", "inside the root"),
        ] {
            let mut settings = Settings::for_root(root.path()).unwrap();
            let err = settings
                .proxy_to(proxy(), &[spec.to_string()])
                .unwrap_err()
                .to_string();
            assert!(err.contains(says), "{spec}: {err}");
        }
    }

    #[test]
    fn a_django_projects_app_static_folders_share_static() {
        let root = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("manage.py"), "").unwrap();
        for folder in ["blog/static/blog", "shop/static/shop", "shop/templates"] {
            std::fs::create_dir_all(root.path().join(folder)).unwrap();
        }
        let mut settings = Settings::for_root(root.path()).unwrap();
        settings
            .proxy_to(Proxy::to("http://127.0.0.1:8000").unwrap(), &[])
            .unwrap();
        let mapped: Vec<(String, String)> = settings
            .asset_mounts()
            .map(|m| {
                let folder = m.folder.strip_prefix(&settings.root).unwrap();
                (m.prefix.clone().unwrap(), folder.display().to_string())
            })
            .collect();
        assert_eq!(
            mapped,
            [
                ("/static".to_string(), "blog/static".to_string()),
                ("/static".to_string(), "shop/static".to_string())
            ]
        );
    }

    #[test]
    fn restart_globs_follow_what_the_root_holds() {
        let root = tempfile::tempdir().unwrap();
        assert!(default_restart_globs(root.path()).is_empty());
        std::fs::write(root.path().join("Cargo.toml"), "").unwrap();
        std::fs::write(root.path().join("app.py"), "").unwrap();
        let globs = default_restart_globs(root.path());
        assert!(
            globs.written().contains(&"**/*.rs".to_string()),
            "{globs:?}"
        );
        assert!(
            globs.written().contains(&"**/*.py".to_string()),
            "{globs:?}"
        );
        assert!(
            !globs.written().contains(&"**/*.go".to_string()),
            "{globs:?}"
        );
        assert!(globs.is_match("src/main.rs") && globs.is_match("app.py"));
        assert!(!globs.is_match("main.go"));
    }

    #[test]
    fn a_restart_glob_keeps_its_star_within_a_folder_and_a_bad_one_is_named() {
        let globs = Globs::new(vec!["*.trigger".into()]).unwrap();
        assert!(globs.is_match("x.trigger"));
        assert!(!globs.is_match("sub/x.trigger"));
        let error = Globs::new(vec!["ok/*".into(), "bad/[".into()]).unwrap_err();
        assert!(error.to_string().contains("\"bad/[\""), "{error}");
    }

    #[test]
    fn every_start_gets_its_own_version_and_boot() {
        let dir = std::env::temp_dir();
        let a = Settings::for_root(&dir).unwrap();
        let b = Settings::for_root(&dir).unwrap();
        assert_ne!(a.version, b.version);
        assert_ne!(a.boot, b.boot);
        assert_eq!(a.version.len(), 8);
    }
}
