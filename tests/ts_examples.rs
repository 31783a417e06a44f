//! `examples/react-ts` and `examples/preact-ts` in headless Chromium, with the packages npm
//! installed for them (`scripts/test` runs `npm ci` in each).
//!
//! - React loads from its CommonJS build (converted once by rolldown), and its hooks work:
//!   one React for react, react-dom and the JSX runtime.
//! - Saving a React component renders it in place, without a reload.
//! - Preact and @preact/signals load as ES modules from `node_modules`, and saving a component
//!   keeps the count its signal holds.
//! - `examples/lit-ts` (create-vite's app): Lit's decorators compile with TypeScript's legacy
//!   semantics and `useDefineForClassFields: false`, the helper they import is hotplate's own
//!   (the app does not install `@oxc-project/runtime`), and the element's property updates it.

mod util;
use testkit::{Browser, Page};
use util::{Running, example};

fn open<'b>(browser: &'b Browser, site: &Running) -> Page<'b> {
    let page = browser.open(&format!("{}/", site.url));
    page.wait_for_runtime();
    page.wait_for("!!document.getElementById('count')", "the app to render");
    page.eval("window.marker = 42; true");
    page
}

fn click_count(page: &Page, times: usize) {
    for _ in 0..times {
        page.eval("document.getElementById('count').click(); true");
    }
}

fn wait_for_text(page: &Page, id: &str, text: &str) {
    page.wait_for(
        &format!("document.getElementById({id:?})?.textContent === {text:?}"),
        &format!("#{id} to read {text:?}"),
    );
}

#[test]
fn react_loads_from_its_commonjs_build_and_its_hooks_work() {
    let site = example("react-ts", |_| {});
    let browser = Browser::launch();
    let page = open(&browser, &site);
    wait_for_text(&page, "count", "count is 0");
    click_count(&page, 2);
    wait_for_text(&page, "count", "count is 2");
    let loaded = page.eval(
        "performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.startsWith('/__hotplate/deps/')).sort().join(' ')",
    );
    let loaded = loaded.as_str().unwrap();
    for entry in ["react.js", "react-dom_client.js", "react_jsx-runtime.js"] {
        assert!(
            loaded.contains(&format!("/__hotplate/deps/{entry}")),
            "{loaded}"
        );
    }
}

#[test]
fn a_saved_react_component_renders_in_place() {
    let site = example("react-ts", |_| {});
    let browser = Browser::launch();
    let page = open(&browser, &site);
    wait_for_text(&page, "greeting", "Hello!");
    site.edit("src/App.tsx", "'Hello!'", "'Hello from the new App!'");
    wait_for_text(&page, "greeting", "Hello from the new App!");
    assert_eq!(page.eval("window.marker"), 42, "the page reloaded");
}

#[test]
fn preact_and_signals_load_as_es_modules_and_a_saved_component_keeps_the_count() {
    let site = example("preact-ts", |_| {});
    let browser = Browser::launch();
    let page = open(&browser, &site);
    click_count(&page, 3);
    wait_for_text(&page, "count", "count is 3");
    wait_for_text(&page, "doubled", "doubled: 6");
    let loaded = page.eval(
        "performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.includes('/node_modules/')).join(' ')",
    );
    let loaded = loaded.as_str().unwrap();
    assert!(
        loaded.contains("/__hotplate/npm/node_modules/preact/"),
        "{loaded}"
    );
    assert!(
        loaded.contains("/__hotplate/npm/node_modules/@preact/signals"),
        "{loaded}"
    );
    assert!(
        !loaded.contains("/__hotplate/deps/"),
        "nothing to convert: {loaded}"
    );

    site.edit("src/App.tsx", "doubled: ", "twice: ");
    wait_for_text(&page, "doubled", "twice: 6");
    wait_for_text(&page, "count", "count is 3");
    assert_eq!(page.eval("window.marker"), 42, "the page reloaded");
}

#[test]
fn lit_decorators_work_without_the_helper_package_and_a_save_reloads() {
    let site = example("lit-ts", |_| {});
    let browser = Browser::launch();
    let page = browser.open(&format!("{}/", site.url));
    page.wait_for_runtime();
    let button = "document.querySelector('my-element')?.shadowRoot?.querySelector('button')";
    page.wait_for(
        &format!("{button}?.textContent.trim() === 'Count is 0'"),
        "the element to render",
    );
    page.eval(&format!(
        "{button}.click(); {button}.click(); window.marker = 42; true"
    ));
    page.wait_for(
        &format!("{button}?.textContent.trim() === 'Count is 2'"),
        "the decorated property to update the element",
    );
    let loaded = page.eval(
        "performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).join(' ')",
    );
    assert!(
        loaded.as_str().unwrap().contains("/helpers/decorate.js"),
        "{loaded}"
    );

    // A custom element cannot be defined twice: as in Vite, its module has no boundary, and the
    // page reloads with the new code.
    site.edit(
        "src/my-element.ts",
        "Count is ${this.count}",
        "Clicked ${this.count}",
    );
    page.wait_for(
        &format!("window.marker === undefined && {button}?.textContent.trim() === 'Clicked 0'"),
        "the page to reload with the new element",
    );
}
