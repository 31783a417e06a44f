//! The report a build ends with, in the style of Vite's: every file written with its size
//! and, for text files, its gzip size, then the total time.
//!
//! ```text
//! dist/index.html                  1.21 kB │ gzip: 0.52 kB
//! dist/src/main.3f2a9c1d.js      142.80 kB │ gzip: 45.91 kB │ map: 339.16 kB
//! 12 pages, 31 files in 0.42 s
//! ```

use super::Built;

/// One file of the build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Under the output folder.
    pub path: String,
    pub size: usize,
    /// For a text file that got variants: its gzip size.
    pub gzip: Option<usize>,
}

/// How many files the report lists one by one; beyond that it says how many more.
const LISTED: usize = 40;

fn kb(bytes: usize) -> String {
    format!("{:.2} kB", bytes as f64 / 1000.0)
}

/// The report of `built`, with `folder` the output folder as the user named it.
pub fn render(built: &Built, folder: &str) -> String {
    let folder = folder.trim_end_matches('/');
    let (maps, files): (Vec<&Line>, Vec<&Line>) =
        built.files.iter().partition(|l| l.path.ends_with(".map"));
    let mut shown: Vec<&Line> = files.clone();
    // Vite's order: HTML, then stylesheets, then scripts, then the rest; by size within.
    shown.sort_by_key(|l| (rank(&l.path), l.size, l.path.clone()));
    let omitted = shown.len().saturating_sub(LISTED);
    let shown = &shown[omitted..];
    let width = shown
        .iter()
        .map(|l| folder.len() + 1 + l.path.len())
        .max()
        .unwrap_or(0);
    let size_width = shown.iter().map(|l| kb(l.size).len()).max().unwrap_or(0);
    let mut out = String::new();
    if omitted > 0 {
        out.push_str(&format!("… {omitted} smaller files not listed\n"));
    }
    for line in shown {
        let name = format!("{folder}/{}", line.path);
        out.push_str(&format!("{name:<width$}  {:>size_width$}", kb(line.size)));
        if let Some(gzip) = line.gzip {
            out.push_str(&format!(" │ gzip: {:>9}", kb(gzip)));
        }
        let map = format!("{}.map", line.path);
        if let Some(map) = maps.iter().find(|m| m.path == map) {
            out.push_str(&format!(" │ map: {:>9}", kb(map.size)));
        }
        out.push('\n');
    }
    for broken in &built.broken {
        let page = if broken.page.is_empty() {
            "a start page".to_string()
        } else {
            broken.page.clone()
        };
        out.push_str(&format!(
            "warning: broken link on {page}: nothing answers {}\n",
            broken.url
        ));
    }
    out.push_str(&format!(
        "✓ {} page{}, {} files in {:.2} s\n",
        built.pages,
        if built.pages == 1 { "" } else { "s" },
        built.files.len(),
        built.took.as_secs_f64()
    ));
    out
}

fn rank(path: &str) -> u8 {
    match path.rsplit_once('.').map(|(_, e)| e) {
        Some("html") => 0,
        Some("css") => 1,
        Some("js") => 2,
        _ => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_is_listed_with_its_sizes_and_the_total_time_closes_it() {
        let built = Built {
            out: "/site/dist".into(),
            pages: 2,
            files: vec![
                Line {
                    path: "main.1234abcd.js".into(),
                    size: 142_800,
                    gzip: Some(45_910),
                },
                Line {
                    path: "main.1234abcd.js.map".into(),
                    size: 339_160,
                    gzip: Some(90_000),
                },
                Line {
                    path: "index.html".into(),
                    size: 1210,
                    gzip: Some(520),
                },
                Line {
                    path: "logo.png".into(),
                    size: 5000,
                    gzip: None,
                },
            ],
            broken: vec![super::super::crawl::Broken {
                page: "/".into(),
                url: "/gone".into(),
            }],
            took: std::time::Duration::from_millis(420),
        };
        let report = render(&built, "dist/");
        assert_eq!(
            report,
            "dist/index.html          1.21 kB │ gzip:   0.52 kB\n\
             dist/main.1234abcd.js  142.80 kB │ gzip:  45.91 kB │ map: 339.16 kB\n\
             dist/logo.png            5.00 kB\n\
             warning: broken link on /: nothing answers /gone\n\
             ✓ 2 pages, 4 files in 0.42 s\n"
        );
    }
}
