//! Fast Refresh in headless Chromium, on `examples/react-ts` and `examples/preact-ts` (apps laid
//! out as `npm create vite` lays them out: the entry renders once and accepts nothing).
//!
//! - A saved component re-renders in place and keeps its state: React's `useState`, Preact's
//!   hooks and signals. The page does not reload (`window.marker` survives).
//! - A component whose hooks changed remounts (React) or starts its hooks over (Preact): its
//!   state starts over, its neighbours' and the signals' stay.
//! - A module that exports something other than components is no refresh boundary: its update
//!   goes on to its importers, and here, with no boundary above, the page reloads.
//! - A component that throws while re-rendering: the overlay says so, the page keeps its tree
//!   and state, and the next good save clears the overlay and applies.
//! - `--no-fast-refresh` (`Settings::fast_refresh`): a component save reloads.

mod util;
use testkit::{Browser, Page};
use util::{Running, example};

/// The app open, with a marker that a reload would lose.
fn open<'b>(browser: &'b Browser, site: &Running) -> Page<'b> {
    let page = browser.open(&format!("{}/", site.url));
    page.wait_for_runtime();
    page.wait_for("!!document.getElementById('count')", "the app to render");
    page.eval("window.marker = 42; true");
    page
}

fn click(page: &Page, id: &str, times: usize) {
    for _ in 0..times {
        page.eval(&format!("document.getElementById({id:?}).click(); true"));
    }
}

fn wait_for_text(page: &Page, id: &str, text: &str) {
    page.wait_for(
        &format!("document.getElementById({id:?})?.textContent === {text:?}"),
        &format!("#{id} to read {text:?}"),
    );
}

/// Types `name` into the app's input as a user would (React sees the `input` event).
fn type_name(page: &Page, name: &str) {
    page.eval(&format!(
        "const input = document.getElementById('name'); \
         Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(input, {name:?}); \
         input.dispatchEvent(new Event('input', {{ bubbles: true }})); true"
    ));
}

fn assert_not_reloaded(page: &Page) {
    assert_eq!(page.eval("window.marker"), 42, "the page reloaded");
}

/// Waits until the page has reloaded (the marker is gone and the app rendered again).
fn wait_for_reload(page: &Page) {
    page.wait_for(
        "window.marker === undefined && !!document.getElementById('count')",
        "the page to reload",
    );
}

#[test]
fn a_saved_react_component_keeps_its_state() {
    let site = example("react-ts", |_| {});
    let browser = Browser::launch();
    let page = open(&browser, &site);
    click(&page, "count", 3);
    wait_for_text(&page, "count", "count is 3");
    page.eval("document.getElementById('count').dataset.node = 'same'; true");

    site.edit(
        "src/Counter.tsx",
        "count is {count}",
        "clicked {count} times",
    );
    wait_for_text(&page, "count", "clicked 3 times");
    assert_not_reloaded(&page);
    assert_eq!(
        page.eval("document.getElementById('count').dataset.node"),
        "same",
        "the button was rendered again into the same element"
    );

    // The component that renders it was saved too: its state (the typed name) stays, and so
    // does the counter below it.
    type_name(&page, "Ada");
    wait_for_text(&page, "greeting", "Hello, Ada!");
    site.edit("src/App.tsx", "`Hello, ${name}!`", "`Welcome, ${name}!`");
    wait_for_text(&page, "greeting", "Welcome, Ada!");
    wait_for_text(&page, "count", "clicked 3 times");
    assert_not_reloaded(&page);
}

#[test]
fn a_react_component_whose_hooks_changed_remounts_and_its_neighbours_keep_their_state() {
    let site = example("react-ts", |_| {});
    let browser = Browser::launch();
    let page = open(&browser, &site);
    click(&page, "count", 2);
    wait_for_text(&page, "count", "count is 2");
    type_name(&page, "Ada");
    wait_for_text(&page, "greeting", "Hello, Ada!");

    // One more hook: Counter's state cannot carry over, so it starts again from `start`.
    site.edit(
        "src/Counter.tsx",
        "const [count, setCount] = useState(start);",
        "const [count, setCount] = useState(start);\n  const [label] = useState('count is');",
    );
    site.edit("src/Counter.tsx", "count is {count}", "{label} {count}!");
    wait_for_text(&page, "count", "count is 0!");
    wait_for_text(&page, "greeting", "Hello, Ada!");
    assert_not_reloaded(&page);
}

#[test]
fn a_module_that_also_exports_a_value_updates_its_importers_instead() {
    let site = example("react-ts", |_| {});
    let browser = Browser::launch();
    let page = open(&browser, &site);
    // Each new App.tsx the page imported (it comes in the message, not as a request).
    let app_imports = "performance.getEntriesByName('hotplate:applied')\
                       .filter((m) => m.detail.type === 'js' && m.detail.path === '/src/App.tsx').length";
    click(&page, "count", 2);
    wait_for_text(&page, "count", "count is 2");

    // A new export that is no component: the update goes on to App.tsx, which refreshes (its
    // exports are components). The page stays, and so does the count.
    site.edit(
        "src/Counter.tsx",
        "export function Counter",
        "export const step = 1;\n\nexport function Counter",
    );
    page.wait_for(
        &format!("{app_imports} === 1"),
        "App.tsx to be imported again",
    );
    wait_for_text(&page, "count", "count is 2");

    // The value is the same in the next version (Vite's rule): Counter refreshes by itself.
    site.edit("src/Counter.tsx", "count is {count}", "count: {count}");
    wait_for_text(&page, "count", "count: 2");
    assert_eq!(page.eval(app_imports), 1);

    // The value changed: its importer updates again.
    site.edit("src/Counter.tsx", "step = 1", "step = 2");
    page.wait_for(
        &format!("{app_imports} === 2"),
        "App.tsx to be imported again",
    );
    assert_not_reloaded(&page);

    // The entry has no boundary: a module it imports directly, with a value export, reloads.
    site.edit(
        "src/App.tsx",
        "export function App",
        "export const version = 2;\n\nexport function App",
    );
    wait_for_reload(&page);
}

#[test]
fn an_app_whose_entry_has_no_jsx_and_loads_react_first_still_refreshes() {
    let site = example("react-ts", |_| {});
    site.write(
        "src/main.ts",
        "import { StrictMode, createElement } from 'react';\n\
         import { createRoot } from 'react-dom/client';\n\
         import { App } from './App';\n\
         createRoot(document.getElementById('root')!).render(\n  \
           createElement(StrictMode, null, createElement(App, { title: 'React' })),\n);\n",
    );
    site.edit("index.html", "/src/main.tsx", "/src/main.ts");
    let browser = Browser::launch();
    let page = open(&browser, &site);
    click(&page, "count", 2);
    wait_for_text(&page, "count", "count is 2");
    site.edit("src/Counter.tsx", "count is {count}", "counted {count}");
    wait_for_text(&page, "count", "counted 2");
    assert_not_reloaded(&page);
}

#[test]
fn a_ts_module_of_plain_functions_updates_the_components_that_use_it() {
    let site = example("react-ts", |_| {});
    site.write(
        "src/format.ts",
        "export function Shout(text: string): string {\n  return text.toUpperCase();\n}\n",
    );
    site.edit(
        "src/App.tsx",
        "import { Counter } from './Counter';",
        "import { Counter } from './Counter';\nimport { Shout } from './format';",
    );
    site.edit("src/App.tsx", ": 'Hello!'", ": Shout('Hello!')");
    let browser = Browser::launch();
    let page = open(&browser, &site);
    wait_for_text(&page, "greeting", "HELLO!");
    click(&page, "count", 2);
    wait_for_text(&page, "count", "count is 2");

    // `Shout` is capitalized, but a `.ts` file holds no components: App.tsx refreshes with it.
    site.edit(
        "src/format.ts",
        "text.toUpperCase()",
        "`${text.toUpperCase()}!`",
    );
    wait_for_text(&page, "greeting", "HELLO!!");
    wait_for_text(&page, "count", "count is 2");
    assert_not_reloaded(&page);
}

#[test]
fn a_react_component_that_throws_keeps_the_last_good_tree_and_shows_the_overlay() {
    let site = example("react-ts", |_| {});
    let browser = Browser::launch();
    let page = open(&browser, &site);
    click(&page, "count", 4);
    wait_for_text(&page, "count", "count is 4");

    site.edit(
        "src/Counter.tsx",
        "  return (",
        "  if (count > 1) throw new Error('counter broke');\n  return (",
    );
    let overlay = page.wait_for_overlay();
    assert!(overlay.contains("counter broke"), "{overlay}");
    wait_for_text(&page, "count", "count is 4");
    click(&page, "count", 1);
    wait_for_text(&page, "count", "count is 5");
    assert_not_reloaded(&page);

    site.edit(
        "src/Counter.tsx",
        "  if (count > 1) throw new Error('counter broke');\n",
        "",
    );
    site.edit("src/Counter.tsx", "count is {count}", "fixed at {count}");
    wait_for_text(&page, "count", "fixed at 5");
    page.wait_for_no_overlay();
    assert_not_reloaded(&page);
}

#[test]
fn without_fast_refresh_a_component_save_reloads() {
    let site = example("react-ts", |settings| settings.fast_refresh = false);
    let browser = Browser::launch();
    let page = open(&browser, &site);
    let served = testkit::http_get(&format!("{}/src/Counter.tsx", site.url), &[]);
    let served = String::from_utf8_lossy(&served.body);
    assert!(!served.contains("refresh"), "{served}");
    click(&page, "count", 2);
    site.edit("src/Counter.tsx", "count is {count}", "count: {count}");
    wait_for_reload(&page);
    wait_for_text(&page, "count", "count: 0");
}

#[test]
fn a_saved_preact_component_keeps_its_hooks_and_signals() {
    let site = example("preact-ts", |_| {});
    let browser = Browser::launch();
    let page = open(&browser, &site);
    click(&page, "count", 3);
    click(&page, "likes", 2);
    wait_for_text(&page, "count", "count is 3");
    wait_for_text(&page, "likes", "likes: 2");

    site.edit("src/App.tsx", "likes: {likes}", "hearts: {likes}");
    wait_for_text(&page, "likes", "hearts: 2");
    site.edit("src/App.tsx", "doubled: ", "twice: ");
    wait_for_text(&page, "doubled", "twice: 6");
    wait_for_text(&page, "count", "count is 3");
    wait_for_text(&page, "likes", "hearts: 2");
    click(&page, "likes", 1);
    wait_for_text(&page, "likes", "hearts: 3");
    assert_not_reloaded(&page);
}

#[test]
fn a_preact_component_whose_hooks_changed_starts_over_and_the_signal_stays() {
    let site = example("preact-ts", |_| {});
    let browser = Browser::launch();
    let page = open(&browser, &site);
    click(&page, "count", 2);
    click(&page, "likes", 3);
    wait_for_text(&page, "likes", "likes: 3");
    site.edit(
        "src/App.tsx",
        "  const [likes, setLikes] = useState(0);\n",
        "  const [likes, setLikes] = useState(0);\n  const [label] = useState('liked');\n",
    );
    site.edit("src/App.tsx", "likes: {likes}", "{label} {likes}");
    wait_for_text(&page, "likes", "liked 0");
    wait_for_text(&page, "count", "count is 2");
    click(&page, "likes", 1);
    wait_for_text(&page, "likes", "liked 1");
    assert_not_reloaded(&page);
}

#[test]
fn a_preact_component_that_throws_keeps_the_last_good_tree_and_shows_the_overlay() {
    let site = example("preact-ts", |_| {});
    let browser = Browser::launch();
    let page = open(&browser, &site);
    click(&page, "likes", 2);
    wait_for_text(&page, "likes", "likes: 2");

    site.edit(
        "src/App.tsx",
        "  const [likes, setLikes] = useState(0);\n",
        "  const [likes, setLikes] = useState(0);\n  if (likes > 1) throw new Error('likes broke');\n",
    );
    let overlay = page.wait_for_overlay();
    assert!(overlay.contains("likes broke"), "{overlay}");
    wait_for_text(&page, "likes", "likes: 2");
    assert_not_reloaded(&page);

    site.edit(
        "src/App.tsx",
        "  if (likes > 1) throw new Error('likes broke');\n",
        "",
    );
    site.edit("src/App.tsx", "likes: {likes}", "liked {likes}");
    wait_for_text(&page, "likes", "liked 2");
    page.wait_for_no_overlay();
    assert_not_reloaded(&page);
}
