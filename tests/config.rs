//! `hotplate.toml`: an optional file at the site root, read by `serve` and `build`.
//!
//! - Every flag has a key; a flag given on the command line wins.
//! - An unknown key or a wrong type stops hotplate with the key, its line and the nearest key.
//! - A change while serving restarts hotplate in place: the open pages reload into it.
//! - `[build]` holds `out`, `entries` and `strict`.

use hotplate::cli::{Cli, Command, ServeArgs};
use hotplate::{Server, config};
use std::collections::BTreeSet;
use std::process::Command as Process;
use testkit::Browser;

use testkit::{site, write};

fn serve_args(args: &[&str]) -> (ServeArgs, BTreeSet<String>) {
    let (cli, given) = Cli::parse_given_from(["hotplate", "serve"].iter().chain(args)).unwrap();
    let Command::Serve(args) = cli.command else {
        panic!("serve")
    };
    (*args, given)
}

#[test]
fn the_file_fills_in_the_flags_and_a_flag_on_the_command_line_wins() {
    let dir = site(&[
        ("index.html", "<p>home</p>"),
        (
            "hotplate.toml",
            "port = 4321\nopen = true\nallowed-hosts = [\"dev.local\"]\njsx-factory = \"h\"\n",
        ),
    ]);
    let root = dir.path().to_str().unwrap();
    let (args, given) = serve_args(&[root]);
    let settings = config::serve_settings(&args, &given).unwrap();
    assert_eq!(settings.port, 4321);
    assert!(settings.open);
    assert_eq!(settings.allowed_hosts, ["dev.local"]);
    assert_eq!(settings.jsx.factory.as_deref(), Some("h"));
    let (args, given) = serve_args(&[root, "--port", "5000", "--jsx-factory", "jsx"]);
    let settings = config::serve_settings(&args, &given).unwrap();
    assert_eq!(settings.port, 5000, "the flag wins");
    assert_eq!(
        settings.jsx.factory.as_deref(),
        Some("jsx"),
        "the flag wins"
    );
    assert!(settings.open, "what no flag says still comes from the file");
}

#[test]
fn an_unknown_key_stops_hotplate_with_its_line_and_the_nearest_key() {
    let dir = site(&[
        ("index.html", "<p>home</p>"),
        ("hotplate.toml", "open = false\nprot = 3000\n"),
    ]);
    let output = Process::new(env!("CARGO_BIN_EXE_hotplate"))
        .args(["serve", "--port", "0"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("hotplate.toml:2: unknown key `prot`; did you mean `port`?"),
        "{stderr}"
    );
    write(dir.path(), "hotplate.toml", "[build]\nstrict = \"yes\"\n");
    let output = Process::new(env!("CARGO_BIN_EXE_hotplate"))
        .arg("build")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("hotplate.toml:2: `strict`: "), "{stderr}");
}

#[test]
fn the_build_section_sets_the_output_the_entries_and_strictness() {
    let dir = site(&[
        ("pages/index.html", "<a href=\"/gone\">gone</a>"),
        ("pages/hidden.html", "<p>no page links here</p>"),
        (
            "hotplate.toml",
            "[build]\nout = \"public_html\"\nentries = [\"/hidden\"]\n",
        ),
    ]);
    let build = |extra: &[&str]| {
        Process::new(env!("CARGO_BIN_EXE_hotplate"))
            .arg("build")
            .arg(dir.path())
            .args(extra)
            .output()
            .unwrap()
    };
    let output = build(&[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.path().join("public_html/index.html").is_file());
    assert!(
        dir.path().join("public_html/hidden/index.html").is_file(),
        "an entry no page links to is built"
    );
    write(
        dir.path(),
        "hotplate.toml",
        "[build]\nout = \"public_html\"\nstrict = true\n",
    );
    let output = build(&[]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "strict: the broken link fails"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("nothing answers /gone"));
}

#[test]
fn a_change_to_the_file_restarts_hotplate_in_place_and_the_open_pages_reload() {
    let dir = site(&[
        (
            "index.html",
            "<!doctype html><html><head></head><body><p>home</p></body></html>",
        ),
        ("widget.jsx", "export const widget = <b>hi</b>;\n"),
        ("hotplate.toml", "jsx-factory = \"h\"\n"),
    ]);
    let (args, given) = serve_args(&[dir.path().to_str().unwrap(), "--port", "0"]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let settings = config::serve_settings(&args, &given).unwrap();
    let server = runtime
        .block_on(Server::bind(settings))
        .unwrap()
        .restart_with(move || config::serve_settings(&args, &given));
    runtime.block_on(server.arming().unwrap().wait());
    let url = server.url();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    runtime.spawn(server.run_until(async {
        let _ = stopped.await;
    }));

    let browser = Browser::launch();
    let page = browser.open(&format!("{url}/"));
    page.wait_for_runtime();
    let compiled = |page: &testkit::Page| {
        page.eval("fetch('/widget.jsx').then((r) => r.text())")
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(compiled(&page).contains("h(\"b\""), "{}", compiled(&page));
    page.eval("window.marker = 42; true");

    write(
        dir.path(),
        "hotplate.toml",
        "jsx-factory = \"createElement\"\n",
    );
    page.wait_for("window.marker === undefined", "the page to reload");
    page.wait_for_runtime();
    assert!(
        compiled(&page).contains("createElement(\"b\""),
        "the new settings hold: {}",
        compiled(&page)
    );

    // A broken file is logged, and the server goes on with what it had.
    page.eval("window.marker = 43; true");
    write(dir.path(), "hotplate.toml", "jsx-factry = \"x\"\n");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(
        page.eval("window.marker"),
        43,
        "no reload for a file that does not parse"
    );
    assert!(compiled(&page).contains("createElement(\"b\""));
    let _ = stop.send(());
}
