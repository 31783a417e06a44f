//! `import.meta.glob`: the files a pattern matches now, as imports, in Vite's syntax, for the
//! dev server and the build alike.
//!
//! ```js
//! import.meta.glob('./pages/*.ts')                      // { './pages/a.ts': () => import('./pages/a.ts'), … }
//! import.meta.glob('./pages/*.ts', { eager: true })     // { './pages/a.ts': <module>, … }
//! import.meta.glob(['./a/*.js', '!**/skip.js'], { import: 'setup' })   // each module's `setup`
//! import.meta.glob('./data/*.txt', { query: '?raw', import: 'default', eager: true })
//! import.meta.glob('./pages/*.ts', { base: './pages' }) // keys relative to the base: './a.ts'
//! ```
//!
//! [`expand`] replaces each call with an object literal (sorted keys), and an eager one's
//! modules with imports on the first line (so the lines of a source map still match). Matched
//! are files under the root, never in `node_modules` or a hidden folder, never the module
//! itself. The patterns go to the graph: a file that appears or goes and matches one updates
//! the module ([`Globs`]).

use crate::rewrite::js::SyntaxError;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use oxc_allocator::Allocator;
use oxc_ast::ast::{
    Argument, ArrayExpressionElement, CallExpression, Expression, ObjectPropertyKind, PropertyKey,
};
use oxc_ast_visit::{Visit, walk};
use oxc_parser::Parser;
use oxc_span::{GetSpan, SourceType};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The most files one call may match: past it, the call is an error (a pattern such as
/// `/**/*` would make a module that imports the whole tree).
pub const MAX_MATCHES: usize = 10_000;

/// A module with its `import.meta.glob` calls expanded.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Expanded {
    pub code: String,
    /// The patterns, relative to the root (`src/pages/*.ts`; `!`-prefixed ones exclude).
    pub patterns: Vec<String>,
}

/// The patterns one module globbed, compiled: which new or removed files concern it.
#[derive(Clone, Debug)]
pub struct Globs {
    include: GlobSet,
    exclude: GlobSet,
}

impl Globs {
    /// The patterns `patterns` (relative to the root, `!` excluding), compiled; `None` when
    /// there are none.
    pub fn new(patterns: &[String]) -> Option<Globs> {
        if patterns.is_empty() {
            return None;
        }
        let mut include = GlobSetBuilder::new();
        let mut exclude = GlobSetBuilder::new();
        for pattern in patterns {
            let (builder, pattern) = match pattern.strip_prefix('!') {
                Some(negated) => (&mut exclude, negated),
                None => (&mut include, pattern.as_str()),
            };
            // As Vite's globs: `*` stays within one folder, `**` crosses them.
            if let Ok(glob) = GlobBuilder::new(pattern).literal_separator(true).build() {
                builder.add(glob);
            }
        }
        Some(Globs {
            include: include.build().ok()?,
            exclude: exclude.build().unwrap_or_else(|_| GlobSet::empty()),
        })
    }

    /// Whether the file at `site_path` (relative to the root) is one the patterns match.
    pub fn matches(&self, site_path: &str) -> bool {
        self.include.is_match(site_path) && !self.exclude.is_match(site_path)
    }
}

/// `code`, the module at `file` under `root`, with each `import.meta.glob(…)` expanded;
/// `None` when it has none. A call whose arguments are not literals, or that matches too much,
/// is the error. Runs on the caller's stack: call it on the pool's large one.
pub fn expand(code: &str, file: &Path, root: &Path) -> Result<Option<Expanded>, SyntaxError> {
    if !code.contains("import.meta.glob") {
        return Ok(None);
    }
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, code, SourceType::mjs()).parse();
    if let Some(error) = parsed.diagnostics.first() {
        return Err(crate::rewrite::js::syntax_error(code, error));
    }
    let mut calls = Calls::default();
    calls.visit_program(&parsed.program);
    if let Some((offset, message)) = calls.error {
        return Err(error_at(code, offset, message));
    }
    if calls.found.is_empty() {
        return Ok(None);
    }
    let folder = file.parent().unwrap_or(root);
    let mut imports = String::new();
    let mut patterns = Vec::new();
    let mut out = String::with_capacity(code.len() + 256);
    let mut cursor = 0;
    for (index, call) in calls.found.iter().enumerate() {
        let globbed = call
            .patterns
            .iter()
            .map(|pattern| to_root(pattern, folder, root))
            .collect::<Option<Vec<String>>>()
            .ok_or_else(|| {
                error_at(
                    code,
                    call.start,
                    "import.meta.glob(): a pattern starts with ./, ../ or / (aliases and \
                     packages are not globbed)"
                        .into(),
                )
            })?;
        let files = matching(root, file, &globbed)
            .map_err(|message| error_at(code, call.start, message))?;
        let base = match &call.base {
            Some(base) => folder.join(base),
            None => folder.to_path_buf(),
        };
        let absolute = call.patterns.iter().all(|p| p.starts_with('/')) && call.base.is_none();
        let mut object = String::from("{");
        for (n, target) in files.iter().enumerate() {
            let specifier = if absolute {
                format!("/{}", site_path(root, target))
            } else {
                relative(folder, target)
            } + &call.query;
            let key = if absolute {
                specifier.trim_end_matches(&call.query).to_string()
            } else {
                relative(&base, target)
            };
            let quoted = serde_json::to_string(&specifier).expect("a string serializes");
            let value = if call.eager {
                let binding = format!("__hotplate_glob_{index}_{n}");
                match &call.import {
                    Some(name) => imports.push_str(&format!(
                        "import {{ {} as {binding} }} from {quoted}; ",
                        export_name(name)
                    )),
                    None => imports.push_str(&format!("import * as {binding} from {quoted}; ")),
                }
                binding
            } else {
                match &call.import {
                    Some(name) => format!(
                        "() => import({quoted}).then((m) => m[{}])",
                        serde_json::to_string(name).expect("a string serializes")
                    ),
                    None => format!("() => import({quoted})"),
                }
            };
            if n > 0 {
                object.push_str(", ");
            }
            object.push_str(&serde_json::to_string(&key).expect("a string serializes"));
            object.push_str(": ");
            object.push_str(&value);
        }
        object.push('}');
        out.push_str(&code[cursor..call.start as usize]);
        out.push_str(&object);
        cursor = call.end as usize;
        patterns.extend(globbed);
    }
    out.push_str(&code[cursor..]);
    Ok(Some(Expanded {
        code: imports + &out,
        patterns,
    }))
}

/// An export's name as an import names it: `default`, an identifier, or a string.
fn export_name(name: &str) -> String {
    let identifier = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if identifier {
        name.to_string()
    } else {
        serde_json::to_string(name).expect("a string serializes")
    }
}

/// `pattern` (as written in a module in `folder`) relative to the root, keeping its `!`.
fn to_root(pattern: &str, folder: &Path, root: &Path) -> Option<String> {
    let (negated, pattern) = match pattern.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, pattern),
    };
    let resolved = if let Some(absolute) = pattern.strip_prefix('/') {
        absolute.to_string()
    } else if pattern.starts_with("./") || pattern.starts_with("../") {
        let joined = normalize(&folder.join(pattern));
        site_path(root, &joined)
    } else if negated {
        // `!**/skip.js`: anywhere.
        pattern.to_string()
    } else {
        return None;
    };
    Some(if negated {
        format!("!{resolved}")
    } else {
        resolved
    })
}

/// `path` with `.` and `..` components resolved, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `file`'s path relative to the root, with `/`.
fn site_path(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .to_string_lossy()
        .replace('\\', "/")
}

/// `target` relative to `folder`, as a specifier: `./a.js`, `../b/c.js`.
fn relative(folder: &Path, target: &Path) -> String {
    let from: Vec<_> = folder.components().collect();
    let to: Vec<_> = target.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    let joined = parts.join("/");
    if joined.starts_with("..") {
        joined
    } else {
        format!("./{joined}")
    }
}

/// The files under `root` the root-relative `patterns` match, sorted, the module `file` left
/// out; no `node_modules` or hidden folder is entered, and only the folders a pattern could
/// match are read ([`bases`]).
fn matching(root: &Path, file: &Path, patterns: &[String]) -> Result<Vec<PathBuf>, String> {
    let globs = Globs::new(patterns).ok_or("import.meta.glob() needs a pattern")?;
    let mut found = BTreeSet::new();
    for base in bases(root, patterns) {
        let walk = ignore::WalkBuilder::new(&base)
            .standard_filters(false)
            .hidden(true)
            .filter_entry(|entry| entry.file_name() != "node_modules")
            .build();
        for entry in walk.flatten() {
            if !entry.file_type().is_some_and(|t| t.is_file()) || entry.path() == file {
                continue;
            }
            if globs.matches(&site_path(root, entry.path())) {
                found.insert(entry.into_path());
                if found.len() > MAX_MATCHES {
                    return Err(format!(
                        "import.meta.glob() matches more than {MAX_MATCHES} files: narrow its \
                         pattern"
                    ));
                }
            }
        }
    }
    Ok(found.into_iter().collect())
}

/// The folders a walk for the root-relative `patterns` starts from: each including pattern's
/// folders up to its first wildcard (`src/pages/**/*.ts` → `src/pages`), those inside another
/// left to it. A glob reads what it could match, not the whole tree.
fn bases(root: &Path, patterns: &[String]) -> BTreeSet<PathBuf> {
    let mut bases = BTreeSet::new();
    for pattern in patterns.iter().filter(|p| !p.starts_with('!')) {
        let segments: Vec<&str> = pattern.split('/').collect();
        let mut base = root.to_path_buf();
        for segment in &segments[..segments.len().saturating_sub(1)] {
            if segment.contains(['*', '?', '[', '{']) {
                break;
            }
            base.push(segment);
        }
        if base.starts_with(root) && base.is_dir() {
            bases.insert(base);
        }
    }
    let all = bases.clone();
    bases.retain(|base| {
        !all.iter()
            .any(|other| other != base && base.starts_with(other))
    });
    bases
}

fn error_at(code: &str, offset: u32, message: String) -> SyntaxError {
    let before = &code[..(offset as usize).min(code.len())];
    let line = before.matches('\n').count() + 1;
    let column = before[before.rfind('\n').map_or(0, |i| i + 1)..]
        .chars()
        .count()
        + 1;
    SyntaxError {
        message,
        line,
        column,
        frame: crate::base::code_frame(code, line, Some(column)),
    }
}

/// One `import.meta.glob(…)` call, read.
#[derive(Debug, Default)]
struct Call {
    start: u32,
    end: u32,
    patterns: Vec<String>,
    eager: bool,
    import: Option<String>,
    /// `?raw`, or `?a=b` from `{ a: 'b' }`; empty for none.
    query: String,
    base: Option<String>,
}

#[derive(Default)]
struct Calls {
    found: Vec<Call>,
    /// Where a call cannot be read, and why.
    error: Option<(u32, String)>,
}

impl Calls {
    fn read(&mut self, it: &CallExpression) -> Result<Call, String> {
        let mut call = Call {
            start: it.span.start,
            end: it.span.end,
            ..Call::default()
        };
        let literal = |argument: Option<&Expression>| -> Option<String> {
            match argument? {
                Expression::StringLiteral(s) => Some(s.value.to_string()),
                Expression::TemplateLiteral(t) if t.expressions.is_empty() => t
                    .quasis
                    .first()
                    .and_then(|q| q.value.cooked.as_ref())
                    .map(|s| s.to_string()),
                _ => None,
            }
        };
        let needs = "import.meta.glob() takes a string or an array of strings, written as \
                     literals (Vite reads them before the module runs)";
        match it.arguments.first() {
            Some(Argument::ArrayExpression(array)) => {
                for element in &array.elements {
                    let pattern = match element {
                        ArrayExpressionElement::SpreadElement(_)
                        | ArrayExpressionElement::Elision(_) => None,
                        other => literal(other.as_expression()),
                    };
                    call.patterns.push(pattern.ok_or(needs)?);
                }
            }
            Some(argument) => call
                .patterns
                .push(literal(argument.as_expression()).ok_or(needs)?),
            None => return Err(needs.into()),
        }
        let Some(options) = it.arguments.get(1) else {
            return Ok(call);
        };
        let Some(Expression::ObjectExpression(object)) = options.as_expression() else {
            return Err("import.meta.glob()'s options are an object literal".into());
        };
        for property in &object.properties {
            let ObjectPropertyKind::ObjectProperty(property) = property else {
                return Err("import.meta.glob()'s options are written out, without `...`".into());
            };
            let key = match &property.key {
                PropertyKey::StaticIdentifier(id) => id.name.to_string(),
                PropertyKey::StringLiteral(s) => s.value.to_string(),
                _ => return Err("import.meta.glob()'s option names are written out".into()),
            };
            let value = &property.value;
            match key.as_str() {
                "eager" => {
                    call.eager = match value {
                        Expression::BooleanLiteral(b) => b.value,
                        _ => return Err("`eager` is true or false".into()),
                    }
                }
                "import" => call.import = Some(literal(Some(value)).ok_or("`import` is a string")?),
                "base" => call.base = Some(literal(Some(value)).ok_or("`base` is a string")?),
                "query" => {
                    call.query = match value {
                        Expression::ObjectExpression(query) => {
                            let mut pairs = Vec::new();
                            for pair in &query.properties {
                                let ObjectPropertyKind::ObjectProperty(pair) = pair else {
                                    return Err("`query` is written out".into());
                                };
                                let name = match &pair.key {
                                    PropertyKey::StaticIdentifier(id) => id.name.to_string(),
                                    PropertyKey::StringLiteral(s) => s.value.to_string(),
                                    _ => return Err("`query` names are written out".into()),
                                };
                                let value = match &pair.value {
                                    Expression::StringLiteral(s) => s.value.to_string(),
                                    Expression::BooleanLiteral(b) => b.value.to_string(),
                                    Expression::NumericLiteral(n) => n.value.to_string(),
                                    _ => return Err("`query` values are literals".into()),
                                };
                                pairs.push(format!("{name}={value}"));
                            }
                            format!("?{}", pairs.join("&"))
                        }
                        other => {
                            let text = literal(Some(other)).ok_or("`query` is a string")?;
                            if text.is_empty() || text.starts_with('?') {
                                text
                            } else {
                                format!("?{text}")
                            }
                        }
                    }
                }
                // Vite's other options change nothing here.
                _ => {}
            }
        }
        Ok(call)
    }
}

impl<'a> Visit<'a> for Calls {
    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        let is_glob = matches!(&it.callee, Expression::StaticMemberExpression(member)
            if member.property.name == "glob"
                && matches!(member.object, Expression::ImportMeta(_)));
        if is_glob {
            match self.read(it) {
                Ok(call) => self.found.push(call),
                Err(message) => {
                    self.error.get_or_insert((it.span().start, message));
                }
            }
            return;
        }
        walk::walk_call_expression(self, it);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> (tempfile::TempDir, PathBuf) {
        let dir = testkit::site(&[
            ("src/main.js", ""),
            ("src/pages/a.js", ""),
            ("src/pages/b.js", ""),
            ("src/pages/skip.js", ""),
            ("src/pages/deep/c.js", ""),
            ("src/data/one.txt", "1"),
            ("node_modules/x/pages/a.js", ""),
        ]);
        let root = std::fs::canonicalize(dir.path()).unwrap();
        (dir, root)
    }

    fn expanded(code: &str) -> Expanded {
        let (_dir, root) = tree();
        expand(code, &root.join("src/main.js"), &root)
            .unwrap()
            .expect("a glob")
    }

    #[test]
    fn a_lazy_glob_maps_each_match_to_its_import() {
        let out = expanded("const pages = import.meta.glob('./pages/*.js');\n");
        assert_eq!(
            out.code,
            "const pages = {\"./pages/a.js\": () => import(\"./pages/a.js\"), \
             \"./pages/b.js\": () => import(\"./pages/b.js\"), \
             \"./pages/skip.js\": () => import(\"./pages/skip.js\")};\n"
        );
        assert_eq!(out.patterns, vec!["src/pages/*.js"]);
    }

    #[test]
    fn an_eager_glob_imports_on_the_first_line() {
        let out = expanded(
            "const pages = import.meta.glob(['./pages/**/*.js', '!**/skip.js'], { eager: true, import: 'default' });\nexport { pages };\n",
        );
        assert!(
            out.code.starts_with(
                "import { default as __hotplate_glob_0_0 } from \"./pages/a.js\"; \
                 import { default as __hotplate_glob_0_1 } from \"./pages/b.js\"; \
                 import { default as __hotplate_glob_0_2 } from \"./pages/deep/c.js\"; const pages = {"
            ),
            "{}",
            out.code
        );
        assert_eq!(out.code.lines().count(), 2);
        assert!(!out.code.contains("skip"), "{}", out.code);
        assert_eq!(out.patterns, vec!["src/pages/**/*.js", "!**/skip.js"]);
    }

    #[test]
    fn query_import_and_base_are_vites() {
        let out = expanded(
            "const data = import.meta.glob('./data/*.txt', { query: '?raw', import: 'default' });\n\
             const named = import.meta.glob('/src/pages/*.js', { query: { lang: 'en' } });\n\
             const based = import.meta.glob('./pages/*.js', { base: './pages' });\n",
        );
        assert!(
            out.code.contains(
                "{\"./data/one.txt\": () => import(\"./data/one.txt?raw\").then((m) => m[\"default\"])}"
            ),
            "{}",
            out.code
        );
        assert!(
            out.code
                .contains("\"/src/pages/a.js\": () => import(\"/src/pages/a.js?lang=en\")"),
            "{}",
            out.code
        );
        assert!(
            out.code
                .contains("\"./a.js\": () => import(\"./pages/a.js\")"),
            "{}",
            out.code
        );
    }

    #[test]
    fn patterns_must_be_literals_and_nothing_else_changes() {
        let (_dir, root) = tree();
        let file = root.join("src/main.js");
        let error = expand("const p = './x';\nimport.meta.glob(p);\n", &file, &root).unwrap_err();
        assert_eq!(error.line, 2);
        assert!(error.message.contains("literals"), "{}", error.message);
        assert_eq!(expand("const a = 1;\n", &file, &root).unwrap(), None);
        let error = expand("import.meta.glob('pages/*.js');\n", &file, &root).unwrap_err();
        assert!(error.message.contains("./"), "{}", error.message);
    }

    #[test]
    fn a_glob_reads_only_the_folders_its_patterns_could_match() {
        let (_dir, root) = tree();
        let patterns = [
            "src/pages/*.js".to_string(),
            "src/pages/deep/**/*.js".to_string(),
            "src/data/*.txt".to_string(),
            "!**/skip.js".to_string(),
            "src/missing/*.js".to_string(),
        ];
        let walked: Vec<PathBuf> = bases(&root, &patterns).into_iter().collect();
        assert_eq!(walked, vec![root.join("src/data"), root.join("src/pages")]);
        assert_eq!(
            bases(&root, &["**/*.js".to_string()]),
            BTreeSet::from([root.clone()])
        );
    }

    #[test]
    fn compiled_patterns_say_which_new_files_concern_a_module() {
        let globs = Globs::new(&["src/pages/*.js".into(), "!**/skip.js".into()]).unwrap();
        assert!(globs.matches("src/pages/new.js"));
        assert!(!globs.matches("src/pages/skip.js"));
        assert!(!globs.matches("src/other/new.js"));
        assert!(Globs::new(&[]).is_none());
    }
}
