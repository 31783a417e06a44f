//! Starting the server: `hotplate serve [ROOT] --port N --host ADDR`.
//!
//! - It listens on 127.0.0.1 by default and prints a banner with its URL.
//! - A taken port is skipped for the next free one (and the banner says so), or with
//!   `--strict-port` it is a clear fatal error.
//! - `--host` beyond loopback prints a warning.
//! - A missing root is a clear fatal error.

use clap::Parser;
use hotplate::cli::{Cli, Command};
use hotplate::{FatalError, Server, Settings};

fn settings(args: &[&str]) -> Result<Settings, FatalError> {
    let parsed = Cli::try_parse_from(["hotplate", "serve"].iter().chain(args)).unwrap();
    let Command::Serve(serve) = parsed.command else {
        panic!("`hotplate serve` parses as serve");
    };
    Settings::resolve(&serve)
}

fn root() -> String {
    std::env::temp_dir().display().to_string()
}

#[tokio::test]
async fn it_listens_on_loopback_and_prints_its_url() {
    let server = Server::bind(settings(&[&root(), "--port", "0"]).unwrap())
        .await
        .unwrap();
    assert!(server.local_addr().ip().is_loopback());
    let banner = server.banner();
    assert!(
        banner.contains(&format!("http://localhost:{}/", server.local_addr().port())),
        "{banner}"
    );
    assert!(!banner.contains("⚠"), "{banner}");
}

#[tokio::test]
async fn a_taken_port_moves_on_to_the_next_free_one() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let server = Server::bind(settings(&[&root(), "--port", &port.to_string()]).unwrap())
        .await
        .unwrap();
    assert_ne!(server.local_addr().port(), port);
    assert!(
        server.banner().contains(&format!("Port {port} was in use")),
        "{}",
        server.banner()
    );
}

#[tokio::test]
async fn with_strict_port_a_taken_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let result =
        Server::bind(settings(&[&root(), "--port", &port.to_string(), "--strict-port"]).unwrap())
            .await;
    let Err(err) = result else {
        panic!("bound a taken port")
    };
    assert!(matches!(err, FatalError::PortTaken { .. }));
    assert!(
        err.to_string()
            .contains(&format!("port {port} is already in use")),
        "{err}"
    );
}

#[test]
fn exposing_the_server_prints_a_warning() {
    // Checked on the banner alone: tests never listen beyond loopback.
    let exposed = settings(&[&root(), "--host", "0.0.0.0"]).unwrap();
    let banner = hotplate::testing::server::banner(&exposed, "0.0.0.0:4000".parse().unwrap(), None);
    assert!(banner.contains("anyone on your network"), "{banner}");
    assert!(banner.contains("http://localhost:4000/"), "{banner}");
}

#[test]
fn host_without_a_value_means_every_interface() {
    let s = settings(&[&root(), "--host"]).unwrap();
    assert!(s.host.is_unspecified());
    assert!(s.is_exposed());
    let s = settings(&[&root()]).unwrap();
    assert_eq!(s.host.to_string(), "127.0.0.1");
}

#[test]
fn a_missing_root_is_a_clear_error() {
    let err = settings(&["/no/such/site"]).unwrap_err();
    assert!(err.to_string().contains("/no/such/site"), "{err}");
}

#[test]
fn prod_and_poll_flags_resolve() {
    let s = settings(&[&root(), "--prod", "--poll", "--poll-interval", "300"]).unwrap();
    assert!(!s.is_dev());
    assert_eq!(s.poll, Some(std::time::Duration::from_millis(300)));
}

#[test]
fn an_exposed_server_lists_its_network_urls() {
    let mut settings = settings(&[&root(), "--host"]).unwrap();
    settings.interfaces = vec![
        "192.168.1.20".parse().unwrap(),
        "10.0.0.5".parse().unwrap(),
        "fd00::5".parse().unwrap(),
    ];
    let addr = "0.0.0.0:4000".parse().unwrap();
    let banner = hotplate::testing::server::banner(&settings, addr, None);
    assert!(
        banner.contains("Local:   http://localhost:4000/"),
        "{banner}"
    );
    assert!(
        banner.contains("Network: http://192.168.1.20:4000/"),
        "{banner}"
    );
    assert!(
        banner.contains("Network: http://10.0.0.5:4000/"),
        "{banner}"
    );
    assert!(
        !banner.contains("fd00::5"),
        "IPv4 listening lists IPv4: {banner}"
    );
    assert!(banner.contains("⚠"), "{banner}");
    let loopback =
        hotplate::testing::server::banner(&settings, "127.0.0.1:4000".parse().unwrap(), None);
    assert!(!loopback.contains("Network"), "{loopback}");
}
