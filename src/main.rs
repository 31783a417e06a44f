//! The `hotplate` command: parse the flags, then hand over to the library.

use clap::Parser;
use hotplate::cli::{Cli, Command};
use hotplate::{Server, Settings};

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
    let args = match Cli::parse().command {
        Command::Serve(args) => args,
        Command::Send(send) => {
            hotplate::send_event(&send.host, send.port, &send.event, send.data.as_deref()).await?;
            return Ok(());
        }
    };
    let server = Server::bind(Settings::resolve(&args)?).await?;
    print!("{}", server.banner());
    if server.settings().open
        && let Err(err) = webbrowser::open(&server.url())
    {
        tracing::warn!("could not open a browser: {err}");
    }
    server.run().await?;
    Ok(())
}
