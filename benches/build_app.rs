//! `hotplate build` against `vite build` on `examples/react-ts`, in one run.
//!
//! Run: `cargo bench --bench build_app` (add `-- 9` for 9 rounds; default 5). It installs Vite
//! with npm into its own copy of the example (`npm install vite@8`), and runs `npm ci` in
//! `examples/react-ts` first if it has no `node_modules`.
//!
//! Each round builds with each tool in turn, from a fresh output folder, timing the whole
//! command (start to exit). hotplate's figure includes writing `.br` and `.gz` beside the text
//! files; Vite writes none. Then the JavaScript each wrote is compared by its gzip size (both
//! measured here, with the same gzip at level 9). Targets (issue 21): at most half of Vite's
//! time, and JavaScript within 5% of Vite's gzip size.

mod common;
use common::median;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

const VITE: &str = "vite@8";

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(5);
    let (ours, theirs, version) = common::react_ts_and_vite(VITE);
    let vite = theirs.path().join("node_modules/vite/bin/vite.js");
    let hotplate = env!("CARGO_BIN_EXE_hotplate");
    let build = |which: usize| -> f64 {
        let (dir, mut command) = if which == 0 {
            let mut c = Command::new(hotplate);
            c.args(["build", "."]);
            (ours.path(), c)
        } else {
            let mut c = Command::new("node");
            c.arg(&vite).args(["build", "--logLevel", "silent"]);
            (theirs.path(), c)
        };
        let _ = std::fs::remove_dir_all(dir.join("dist"));
        let started = Instant::now();
        let output = command.current_dir(dir).output().expect("the build runs");
        let took = started.elapsed().as_secs_f64();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        took
    };
    let mut times = [Vec::new(), Vec::new()];
    for round in 0..=rounds {
        for (which, samples) in times.iter_mut().enumerate() {
            let took = build(which);
            if round > 0 {
                samples.push(took);
            }
        }
    }
    let (ours_js, ours_gz) = javascript(&ours.path().join("dist"));
    let (theirs_js, theirs_gz) = javascript(&theirs.path().join("dist"));
    let (a, b) = (median(&times[0]), median(&times[1]));
    println!("\nbuild examples/react-ts ({rounds} rounds, wall time, median)");
    println!("  hotplate build   {a:>7.3} s   JS {ours_js:>7} B, gzip {ours_gz:>6} B");
    println!("  vite {version:<10}  {b:>7.3} s   JS {theirs_js:>7} B, gzip {theirs_gz:>6} B");
    println!(
        "  hotplate / vite: time {:.2}×, JS gzip size {:.3}×",
        a / b,
        ours_gz as f64 / theirs_gz as f64
    );
}

/// The bytes of every `.js` file under `dir`, and the sum of their gzip sizes (level 9).
fn javascript(dir: &Path) -> (usize, usize) {
    let (mut raw, mut gz) = (0, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "js") {
                let bytes = std::fs::read(&path).unwrap();
                let mut encoder =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
                encoder.write_all(&bytes).unwrap();
                raw += bytes.len();
                gz += encoder.finish().unwrap().len();
            }
        }
    }
    (raw, gz)
}
