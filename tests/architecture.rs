//! The crate's own layout, checked: data flows one way, at every scale.
//!
//! - No two source files use each other, directly or round a circle of others.
//! - No two of the crate's first-level modules (`serve`, `site`, `modules`, `backend`, …) do.
//!
//! "Uses" is read from the code, the way a reader follows it: every `crate::…`, `super::…` and
//! `self::…` path (in `use` lines, braced groups included, and in expressions), resolved to
//! the longest module path that exists. Comments and `#[cfg(test)]` modules are left out: a
//! doc link or a test may look anywhere. A module declaring its children (`mod x;`) is
//! structure, not use.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[test]
fn no_source_file_uses_a_file_that_uses_it_back() {
    let crate_ = Crate::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let circles = circles(&crate_.uses());
    assert!(
        circles.is_empty(),
        "these files use each other in a circle: {}",
        describe(&circles)
    );
}

#[test]
fn no_first_level_module_uses_one_that_uses_it_back() {
    let crate_ = Crate::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let circles = circles(&first_level(&crate_.uses()));
    assert!(
        circles.is_empty(),
        "these first-level modules use each other in a circle: {}",
        describe(&circles)
    );
}

#[test]
fn the_check_finds_a_circle_through_braced_super_imports() {
    let crate_ = Crate::from_sources([
        ("serve/mod.rs", "pub mod a;\npub mod b;\n"),
        ("serve/a.rs", "use super::{b::Thing, c};\n"),
        ("serve/b.rs", "fn f() { super::a::g() }\n"),
        ("serve/c.rs", "use crate::site::X;\n"),
        ("site/mod.rs", "use crate::serve;\n"),
    ]);
    let uses = crate_.uses();
    assert_eq!(
        describe(&circles(&uses)),
        "[serve::a, serve::b]",
        "file level: {uses:?}"
    );
    assert_eq!(describe(&circles(&first_level(&uses))), "[serve, site]");
}

#[test]
fn the_check_ignores_comments_tests_and_declared_children() {
    let crate_ = Crate::from_sources([
        ("lib.rs", "mod graph;\nmod plan;\n"),
        (
            "graph.rs",
            "//! See [`crate::plan`].\n/// [`crate::plan::Plan`]\nfn f() {}\n\
             #[cfg(test)]\nmod tests {\n    use crate::plan::Plan;\n}\n",
        ),
        ("plan.rs", "use crate::graph::Graph;\n"),
    ]);
    assert_eq!(circles(&crate_.uses()), Vec::<Vec<String>>::new());
}

/// The library's source files, by module path (`serve::proxy`; the crate root is `crate`),
/// comments and tests left out. `main.rs` is another crate (the binary), so it is not read.
struct Crate {
    files: BTreeMap<String, String>,
}

impl Crate {
    fn read(src: &Path) -> Crate {
        let mut found = Vec::new();
        walk(src, &mut found);
        assert!(!found.is_empty(), "no source files under {}", src.display());
        Crate::from_sources(found.iter().map(|(path, text)| {
            let relative = path.strip_prefix(src).expect("under src");
            (relative.to_str().expect("a UTF-8 path"), text.as_str())
        }))
    }

    fn from_sources<'a>(sources: impl IntoIterator<Item = (&'a str, &'a str)>) -> Crate {
        let mut files = BTreeMap::new();
        for (path, text) in sources {
            let path = path.trim_end_matches(".rs").replace('\\', "/");
            if path == "main" {
                continue;
            }
            let mut segments: Vec<&str> = path.split('/').collect();
            if matches!(segments.last(), Some(&("mod" | "lib"))) {
                segments.pop();
            }
            let module = if segments.is_empty() {
                "crate".to_string()
            } else {
                segments.join("::")
            };
            files.insert(module, without_tests(&without_comments(text)));
        }
        Crate { files }
    }

    /// Which modules each module uses.
    fn uses(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut uses = BTreeMap::new();
        for (module, source) in &self.files {
            let here: Vec<&str> = if module == "crate" {
                Vec::new()
            } else {
                module.split("::").collect()
            };
            let mut used = BTreeSet::new();
            for path in paths(source) {
                let (start, rest) = match path.first().map(String::as_str) {
                    Some("crate") => (Vec::new(), &path[1..]),
                    Some("self") => (here.clone(), &path[1..]),
                    Some("super") => {
                        let mut start = here.clone();
                        let mut rest = &path[..];
                        while rest.first().map(String::as_str) == Some("super") {
                            start.pop();
                            rest = &rest[1..];
                        }
                        (start, rest)
                    }
                    _ => continue,
                };
                if let Some(target) = self.resolve(&start, rest)
                    && target != *module
                    && module != "crate"
                    && !target.starts_with(&format!("{module}::"))
                {
                    used.insert(target);
                }
            }
            uses.insert(module.clone(), used);
        }
        uses
    }

    /// The longest module path that `start` followed by a prefix of `rest` names.
    fn resolve(&self, start: &[&str], rest: &[String]) -> Option<String> {
        (0..=rest.len()).rev().find_map(|taken| {
            let mut segments: Vec<&str> = start.to_vec();
            segments.extend(rest[..taken].iter().map(String::as_str));
            let module = if segments.is_empty() {
                "crate".to_string()
            } else {
                segments.join("::")
            };
            self.files.contains_key(&module).then_some(module)
        })
    }
}

fn walk(folder: &Path, found: &mut Vec<(PathBuf, String)>) {
    for entry in std::fs::read_dir(folder).expect("a readable folder") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            walk(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&path).expect("a UTF-8 source file");
            found.push((path, text));
        }
    }
}

/// Every path that starts with `crate`, `self` or `super`, braced groups expanded:
/// `use super::{a::B, c}` gives `super::a::B` and `super::c`.
fn paths(text: &str) -> Vec<Vec<String>> {
    let tokens = tokens(text);
    let mut found = Vec::new();
    let mut at = 0;
    while at < tokens.len() {
        let starts = matches!(tokens[at].as_str(), "crate" | "self" | "super")
            && (at == 0 || tokens[at - 1] != "::");
        if starts {
            let (paths, end) = path_at(&tokens, at);
            found.extend(paths);
            at = end;
        } else {
            at += 1;
        }
    }
    found
}

/// The paths written from `tokens[at]` on, and where they end.
fn path_at(tokens: &[String], mut at: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = vec![tokens[at].clone()];
    at += 1;
    while at + 1 < tokens.len() && tokens[at] == "::" {
        if tokens[at + 1] == "{" {
            let mut paths = Vec::new();
            at += 2;
            while at < tokens.len() && tokens[at] != "}" {
                if tokens[at] == "," {
                    at += 1;
                    continue;
                }
                let (inner, end) = path_at(tokens, at);
                paths.extend(inner.into_iter().map(|tail| {
                    let mut path = prefix.clone();
                    path.extend(tail);
                    path
                }));
                at = end;
            }
            return (paths, at + 1);
        }
        prefix.push(tokens[at + 1].clone());
        at += 2;
    }
    // Skip what follows a name inside a group (`as x`, `*`), up to the next `,` or `}`.
    (vec![prefix], at)
}

/// Names, `::`, and every other character but white space, one token each; string literals
/// are left out.
fn tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        if c.is_alphanumeric() || c == '_' {
            let start = at;
            while at < chars.len() && (chars[at].is_alphanumeric() || chars[at] == '_') {
                at += 1;
            }
            tokens.push(chars[start..at].iter().collect());
            continue;
        }
        if c == '"' {
            at += 1;
            while at < chars.len() && chars[at] != '"' {
                at += if chars[at] == '\\' { 2 } else { 1 };
            }
        } else if c == ':' && chars.get(at + 1) == Some(&':') {
            tokens.push("::".into());
            at += 1;
        } else if !c.is_whitespace() {
            tokens.push(c.to_string());
        }
        at += 1;
    }
    tokens
}

/// `text` without `//` comments (doc comments included), leaving string literals whole.
fn without_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let mut in_string = false;
        let mut cut = line.len();
        let bytes = line.as_bytes();
        let mut at = 0;
        while at < bytes.len() {
            match bytes[at] {
                b'\\' if in_string => at += 1,
                b'"' => in_string = !in_string,
                b'/' if !in_string && bytes.get(at + 1) == Some(&b'/') => {
                    cut = at;
                    break;
                }
                _ => {}
            }
            at += 1;
        }
        out.push_str(&line[..cut]);
        out.push('\n');
    }
    out
}

/// `text` without its `#[cfg(test)] mod … { … }` blocks.
fn without_tests(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = rest[at + "#[cfg(test)]".len()..].trim_start();
        if !after.starts_with("mod ") {
            out.push_str("#[cfg(test)]");
            rest = &rest[at + "#[cfg(test)]".len()..];
            continue;
        }
        let Some(open) = after.find(['{', ';']) else {
            rest = "";
            break;
        };
        if after.as_bytes()[open] == b';' {
            rest = &after[open + 1..];
            continue;
        }
        let mut depth = 0;
        let mut end = after.len();
        for (i, c) in after[open..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = open + i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

/// The uses between first-level modules (`serve::proxy` stands for `serve`).
fn first_level(uses: &BTreeMap<String, BTreeSet<String>>) -> BTreeMap<String, BTreeSet<String>> {
    let head = |module: &str| module.split("::").next().unwrap_or(module).to_string();
    let mut merged: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, used) in uses {
        let from = head(module);
        let to: BTreeSet<String> = used
            .iter()
            .map(|m| head(m))
            .filter(|m| *m != from)
            .collect();
        merged.entry(from).or_default().extend(to);
    }
    merged
}

/// The sets of two or more modules that reach each other (strongly connected components).
fn circles(uses: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reach = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut queue = vec![from.to_string()];
        while let Some(module) = queue.pop() {
            for next in uses.get(&module).into_iter().flatten() {
                if seen.insert(next.clone()) {
                    queue.push(next.clone());
                }
            }
        }
        seen
    };
    let reached: BTreeMap<&String, BTreeSet<String>> =
        uses.keys().map(|module| (module, reach(module))).collect();
    let mut circles: Vec<Vec<String>> = Vec::new();
    for (module, from_here) in &reached {
        if circles.iter().any(|circle| circle.contains(module)) {
            continue;
        }
        let mut circle: Vec<String> = from_here
            .iter()
            .filter(|other| {
                reached
                    .get(other)
                    .is_some_and(|back| back.contains(*module))
            })
            .cloned()
            .collect();
        if circle.len() > 1 || (circle.len() == 1 && circle[0] != **module) {
            if !circle.contains(module) {
                circle.push((*module).clone());
            }
            circle.sort();
            circles.push(circle);
        }
    }
    circles
}

fn describe(circles: &[Vec<String>]) -> String {
    circles
        .iter()
        .map(|circle| format!("[{}]", circle.join(", ")))
        .collect::<Vec<_>>()
        .join(" ")
}
