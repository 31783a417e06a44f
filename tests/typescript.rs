//! TypeScript and JSX served as JavaScript, in a real headless Chromium and over HTTP, against
//! the `typescript` fixture (its `tsconfig.json` compiles JSX with a local `h`, and maps
//! `@lib/*` to `src/lib/*`).
//!
//! - Types are stripped, type-only imports dropped and JSX compiled, and the page runs.
//! - Imports resolve as TypeScript resolves them: `./greet` → `greet.ts`, `./label.js` →
//!   `label.ts`, `./view` → `view.tsx`, `@lib/math` (tsconfig `paths`) → `lib/math.ts`.
//! - Each module carries an inline source map back to its original lines.
//! - An `accept('./greet', …)` boundary (no extension) takes the new `greet.ts`, and the page
//!   keeps its state.
//! - A syntax error shows the overlay with the original file and line; the fix applies.

mod util;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use testkit::{Browser, Page};
use util::{Running, run, site};

fn open<'b>(browser: &'b Browser, site: &Running) -> Page<'b> {
    let page = browser.open(&format!("{}/", site.url));
    page.wait_for_runtime();
    page.wait_for(
        "document.getElementById('out').textContent === 'hello typescript v1'",
        "main.ts to run",
    );
    page.eval("window.marker = 42; document.getElementById('field').value = 'typed'; true");
    page
}

fn assert_state_kept(page: &Page) {
    assert_eq!(page.eval("window.marker"), 42, "the page reloaded");
    assert_eq!(
        page.eval("document.getElementById('field').value"),
        "typed",
        "typed text was lost"
    );
    assert_eq!(
        page.eval("document.getElementById('count').textContent"),
        "1",
        "main.ts ran again"
    );
}

#[test]
fn typescript_and_jsx_run_with_imports_resolved_as_typescript_does() {
    let site = run("typescript");
    let browser = Browser::launch();
    let page = open(&browser, &site);
    assert_eq!(
        page.eval("document.getElementById('label').textContent"),
        "label from label.ts",
        "./label.js names label.ts"
    );
    assert_eq!(
        page.eval("document.getElementById('view').innerHTML"),
        "<ul class=\"items\"><li>a</li><li>b</li><li>last</li></ul>",
        "view.tsx compiled its JSX with h and Fragment"
    );
    assert_eq!(
        page.eval("document.getElementById('count').textContent"),
        "1"
    );
}

#[tokio::test]
async fn compiled_modules_are_javascript_with_a_source_map_to_the_original_lines() {
    let site = site("typescript");
    let reply = site.get("/src/main.ts").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        "text/javascript; charset=utf-8"
    );
    let code = reply.text();
    for typed in [
        "interface Window",
        ": string",
        "as Window",
        "import type",
        "./types",
    ] {
        assert!(!code.contains(typed), "{typed} is left in:\n{code}");
    }
    for resolved in [
        "\"/src/greet.ts\"",
        "\"/src/label.ts\"",
        "\"/src/view.tsx\"",
        "\"/src/lib/math.ts\"",
    ] {
        assert!(
            code.contains(resolved),
            "{resolved} is not imported:\n{code}"
        );
    }

    let (_, encoded) = code
        .split_once("//# sourceMappingURL=data:application/json;charset=utf-8;base64,")
        .expect("an inline source map");
    let json = String::from_utf8(BASE64.decode(encoded.trim()).unwrap()).unwrap();
    let map = oxc_sourcemap::SourceMap::from_json_string(&json).unwrap();
    let original = site.read_text("src/main.ts");
    assert_eq!(map.get_sources().collect::<Vec<_>>(), ["main.ts"]);
    assert_eq!(map.get_source_content(0), Some(original.as_str()));

    // Where `show(greet(…))` is in the output maps back to its line in main.ts.
    let call = "show(greet(\"typescript\"))";
    let at = code.find(call).expect("the call is in the output");
    let line = code[..at].matches('\n').count() as u32;
    let column = (at - code[..at].rfind('\n').map_or(0, |i| i + 1)) as u32;
    let lookup = map.generate_lookup_table();
    let token = map
        .lookup_token(&lookup, line, column)
        .expect("the call is mapped");
    let expected = original
        .lines()
        .position(|l| l.starts_with("show(greet("))
        .unwrap() as u32;
    assert_eq!(token.get_src_line(), expected, "the call's original line");
}

#[test]
fn an_accepted_typescript_dependency_updates_in_place_and_keeps_state() {
    let site = run("typescript");
    let browser = Browser::launch();
    let page = open(&browser, &site);
    site.edit("src/greet.ts", "v1", "v2");
    page.wait_for(
        "document.getElementById('out').textContent === 'hello typescript v2'",
        "the new greet.ts",
    );
    assert_state_kept(&page);
}

#[test]
fn a_typescript_syntax_error_shows_the_overlay_at_the_original_line() {
    let site = run("typescript");
    let browser = Browser::launch();
    let page = open(&browser, &site);
    site.write(
        "src/greet.ts",
        "export function greet(who: string): string {\n  return <string> `broken ${who}` +;\n}\n",
    );
    let text = page.wait_for_overlay();
    assert!(text.contains("src/greet.ts:2:"), "{text}");
    assert!(
        text.contains("return <string> `broken ${who}` +;"),
        "the code frame: {text}"
    );

    site.write(
        "src/greet.ts",
        "export function greet(who: string): string {\n  return `fixed ${who}`;\n}\n",
    );
    page.wait_for(
        "document.getElementById('out').textContent === 'fixed typescript'",
        "the fixed greet.ts",
    );
    page.wait_for_no_overlay();
    assert_state_kept(&page);
}

#[test]
fn stylesheets_images_and_json_import_as_modules_and_a_saved_stylesheet_updates_in_place() {
    let site = run("typescript");
    let browser = Browser::launch();
    let page = open(&browser, &site);
    assert_eq!(
        page.eval("document.getElementById('asset').textContent"),
        "/src/dot.svg from config.json",
        "an image imports as its URL, JSON as its value"
    );
    let color = "getComputedStyle(document.getElementById('label')).color";
    page.wait_for(
        &format!("{color} === 'rgb(0, 0, 255)'"),
        "style.css to apply",
    );
    assert!(
        page.eval("getComputedStyle(document.getElementById('label')).backgroundImage")
            .as_str()
            .unwrap()
            .contains("/src/dot.svg"),
        "the stylesheet's url() resolves against its own URL"
    );
    site.edit("src/style.css", "rgb(0, 0, 255)", "rgb(255, 0, 0)");
    page.wait_for(
        &format!("{color} === 'rgb(255, 0, 0)'"),
        "the saved style.css",
    );
    assert_state_kept(&page);
    assert_eq!(
        page.eval("document.querySelectorAll('style[data-hotplate-css]').length"),
        1,
        "the new version replaced the old one"
    );
}

#[tokio::test]
async fn a_file_too_large_to_compile_is_a_module_that_says_so_and_the_overlay_too() {
    let site = site("typescript");
    let mut events = site.events(&[]).await;
    events.next_named("hello").await;
    let limit = hotplate::testing::rewrite::MAX_REWRITTEN as usize;
    let mut big = "export const n: number = 1;\n".repeat(limit / 28 + 2);
    big.push_str("// end\n");
    site.write("src/huge.ts", &big);
    let reply = site.get("/src/huge.ts").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        "text/javascript; charset=utf-8"
    );
    let code = reply.text();
    assert!(code.len() < 1000, "{} bytes came", code.len());
    assert!(code.starts_with("throw new SyntaxError("), "{code}");
    assert!(code.contains("src/huge.ts is 50 MB"), "{code}");
    let error = events.next_named("error").await.json();
    assert_eq!(error["file"], "src/huge.ts", "{error}");
    assert!(
        error["message"].as_str().unwrap().contains("up to 50 MB"),
        "{error}"
    );
}

#[tokio::test]
async fn a_tsconfig_that_cannot_be_read_shows_the_overlay_until_it_is_fixed() {
    let site = site("typescript");
    let mut events = site.events(&[]).await;
    events.next_named("hello").await;
    let good = site.read_text("tsconfig.json");
    site.write("tsconfig.json", "{ \"compilerOptions\": { \"jsx\": ");
    assert_eq!(site.get("/src/view.tsx").await.status, 200);
    let error = events.next_named("error").await.json();
    assert_eq!(error["file"], "tsconfig.json", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("compile with the default settings"),
        "{error}"
    );

    site.write("tsconfig.json", &good);
    let app = site.app.clone();
    tokio::task::spawn_blocking(move || {
        hotplate::testing::pipeline::react(
            &app,
            &hotplate::testing::base::ChangeBatch {
                changes: vec![hotplate::testing::base::Change {
                    path: hotplate::testing::base::SitePath::new("tsconfig.json"),
                    kind: hotplate::testing::base::ChangeKind::Modified,
                }],
                rescan: false,
                ..Default::default()
            },
        )
    })
    .await
    .unwrap();
    events.next_named("error-clear").await;
    let reload = events.next_named("reload").await.json();
    assert!(
        reload["reason"].as_str().unwrap().contains("tsconfig.json"),
        "{reload}"
    );
    // The pages compile as the tsconfig says again, and nothing is reported.
    assert!(site.get("/src/view.tsx").await.text().contains("h("));
}
