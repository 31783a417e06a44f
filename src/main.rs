//! The `hotplate` command: parse the flags, then hand over to the library.

use hotplate::cli::{BuildArgs, Cli, Command};
use hotplate::{Server, config};
use std::collections::BTreeSet;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // One line that says what is wrong (and no backtrace, whatever RUST_BACKTRACE says).
        Err(err) => {
            eprintln!("error: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "hotplate=info".into()),
        )
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
    let (cli, given) = Cli::parse_given();
    let args = match cli.command {
        Command::Serve(args) => args,
        Command::Send(send) => {
            hotplate::send_event(&send.host, send.port, &send.event, send.data.as_deref()).await?;
            return Ok(());
        }
        Command::Build(args) => return build(*args, given).await,
    };
    let mut settings = config::serve_settings(&args, &given)?;
    if settings.mode == hotplate::Mode::Prod {
        prepare_prod(&mut settings).await?;
    }
    let server = Server::bind(settings)
        .await?
        .restart_with(move || config::serve_settings(&args, &given));
    print!("{}", server.banner());
    if server.settings().open
        && let Err(err) = webbrowser::open(&server.url())
    {
        tracing::warn!("could not open a browser: {err}");
    }
    server.run().await?;
    Ok(())
}

/// `serve --prod` serves a build: the folder as it is when it is one, else the site built
/// first (with its report), so that production never serves raw TypeScript.
async fn prepare_prod(settings: &mut hotplate::Settings) -> anyhow::Result<()> {
    let entries = config::Config::read(&settings.root)?.entries();
    let mut owned = settings.clone();
    let built = tokio::task::spawn_blocking(move || {
        let progress = |step: hotplate::build::Progress| eprintln!("{step}");
        hotplate::build::for_prod(&mut owned, &entries, &progress).map(|built| (owned, built))
    })
    .await?;
    let (prepared, built) = built.inspect_err(show)?;
    if let Some(built) = built {
        eprint!(
            "{}",
            hotplate::build::report(&built, &built.out.to_string_lossy())
        );
    }
    *settings = prepared;
    Ok(())
}

/// `hotplate build`: progress on stderr as it goes, then the report; a page that does not
/// render shows its file, line and code frame.
async fn build(mut args: BuildArgs, given: BTreeSet<String>) -> anyhow::Result<()> {
    let config = config::Config::read(&args.root)?;
    let root = args.root.clone();
    config.apply_build(&mut args, &root, |id| given.contains(id));
    let options = hotplate::build::Options {
        root: args.root,
        out: args.out,
        strict: args.strict,
        entries: config.entries(),
        jsx: args.jsx.written(),
        manifest: args.manifest,
        assets: config.assets.clone().unwrap_or_default(),
        max_pages: hotplate::build::MAX_PAGES,
    };
    let progress = |step: hotplate::build::Progress| eprintln!("{}", step);
    let built =
        tokio::task::spawn_blocking(move || hotplate::build::build(&options, &progress)).await?;
    match built {
        Ok(built) => {
            // As Vite shows it: relative to where the command ran, when it is under it.
            let cwd = std::env::current_dir().unwrap_or_default();
            let shown = built.out.strip_prefix(&cwd).unwrap_or(&built.out);
            print!(
                "{}",
                hotplate::build::report(&built, &shown.to_string_lossy())
            );
            Ok(())
        }
        Err(err) => {
            show(&err);
            Err(err.into())
        }
    }
}

/// What a failed build shows beside its one-line error: the code frame, the broken links.
fn show(err: &hotplate::build::BuildError) {
    if let Some(report) = err.report()
        && !report.frame.is_empty()
    {
        eprintln!("{}\n{}", report.one_line(), report.frame);
    }
    if let hotplate::build::BuildError::Broken(broken) = err {
        for link in broken {
            eprintln!("broken link on {}: nothing answers {}", link.page, link.url);
        }
    }
}
