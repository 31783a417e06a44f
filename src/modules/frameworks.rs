//! Which frameworks hotplate compiles, and what it says for those it cannot.
//!
//! hotplate compiles what oxc and lightningcss compile: TypeScript, JSX for React, Preact and
//! any classic factory, decorators, CSS and CSS Modules; Lit and plain web components need
//! nothing more. Three formats need a compiler written in JavaScript, with no Rust
//! implementation to call:
//!
//! - Vue's single-file components (`.vue`: `@vue/compiler-sfc`);
//! - Svelte's components (`.svelte`: `svelte/compiler`);
//! - Solid's JSX (`jsxImportSource: "solid-js"`: `babel-preset-solid`, which compiles JSX
//!   into fine-grained DOM updates, not into calls of a runtime).
//!
//! A module that imports one, or is one, gets an overlay that names the file and says why,
//! and the build fails with the same words; never a page that breaks on a module served as
//! `application/octet-stream`.

/// Why the file at `path` (a file or URL path) cannot be compiled here, if it cannot.
pub fn unsupported_file(path: &str) -> Option<String> {
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
    let (what, compiler) = match extension.as_str() {
        "vue" => ("a Vue single-file component", "@vue/compiler-sfc"),
        "svelte" => ("a Svelte component", "svelte/compiler"),
        _ => return None,
    };
    Some(format!(
        "{path} is {what}: it compiles with {compiler}, a JavaScript compiler with no Rust \
         implementation, so hotplate cannot serve it. Use Vite for this app (hotplate \
         compiles TypeScript, JSX for React and Preact, Lit, CSS and CSS Modules)."
    ))
}

/// Why a module whose JSX comes from `import_source` cannot be compiled here, if it cannot.
pub fn unsupported_jsx(file: &str, import_source: &str) -> Option<String> {
    (import_source == "solid-js" || import_source.starts_with("solid-js/")).then(|| {
        format!(
            "{file} uses Solid's JSX (jsxImportSource \"{import_source}\"): it compiles with \
             babel-preset-solid, a Babel plugin with no Rust implementation, so hotplate cannot \
             serve it. Use Vite for Solid (hotplate compiles JSX for React and Preact)."
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vue_svelte_and_solid_are_named_with_their_compiler() {
        let vue = unsupported_file("/src/App.vue?import").unwrap();
        assert!(
            vue.starts_with("/src/App.vue is a Vue single-file component"),
            "{vue}"
        );
        assert!(vue.contains("@vue/compiler-sfc"), "{vue}");
        assert!(
            unsupported_file("src/Counter.SVELTE")
                .unwrap()
                .contains("svelte/compiler")
        );
        assert_eq!(unsupported_file("src/main.ts"), None);
        assert_eq!(unsupported_file("README"), None);
        let solid = unsupported_jsx("src/App.tsx", "solid-js").unwrap();
        assert!(solid.contains("babel-preset-solid"), "{solid}");
        assert_eq!(unsupported_jsx("src/App.tsx", "preact"), None);
    }
}
