//! Template updates end to end, in a real headless Chromium, against the `morph` fixture: the
//! server renders the routes a change affects again, and the pages showing them morph into
//! the new render, keeping what the user was doing.
//!
//! - (a) A partial used by `/a` but not `/b`, both open: `/a` morphs and keeps typed input,
//!   focus, the caret, scroll positions and a `window` marker; `/b` neither changes nor
//!   reloads.
//! - (b) A layout: every page using it morphs.
//! - (c) A Markdown content file: the page showing it morphs.
//! - (d) The head: a new `<title>`, a changed `<meta>` and a new stylesheet arrive without a
//!   reload, and the stylesheet applies before the body changes (no flash of unstyled
//!   content); a stylesheet taken out stops applying.
//! - (e) A render error shows the overlay and leaves the last good DOM; the fix clears the
//!   overlay and morphs.
//! - (f) A `data-hotplate-keep` subtree is left as the page's scripts made it.
//! - Live state wins unless the template changed that very attribute: typed values, checkboxes,
//!   selects, textareas, `<details open>` and `<dialog open>`, and any attribute a script set
//!   (a class an inline script put on `<html>`; the template's own class changes merge in);
//!   listeners, custom elements, iframes and playing media survive.
//! - Scripts do not run again unless they are new.
//! - Saves in quick succession end on the last render.
//! - A removed page reloads and shows the 404; a page added needs nothing.

mod util;
use testkit::{Browser, Page};
use util::{open, run};

fn text_of(page: &Page, id: &str) -> String {
    page.eval(&format!("document.getElementById({id:?}).textContent"))
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn wait_for_text(page: &Page, id: &str, text: &str) {
    page.wait_for(
        &format!("document.getElementById({id:?})?.textContent === {text:?}"),
        &format!("#{id} to read {text:?}"),
    );
}

fn assert_not_reloaded(page: &Page) {
    assert_eq!(page.eval("window.marker"), 42, "the page reloaded");
}

#[test]
fn a_a_partial_morphs_the_page_using_it_and_leaves_the_other_alone() {
    let site = run("morph");
    let browser = Browser::launch();
    let a = open(&browser, &site, "/a");
    let b = open(&browser, &site, "/b");
    // The user's state on /a: typed text with the caret inside it, scroll positions.
    a.eval(
        "const f = document.getElementById('field'); f.focus(); f.value = 'typed';
         f.setSelectionRange(2, 4); window.scrollTo(0, 500);
         document.getElementById('box').scrollTop = 30; window.heading = document.getElementById('heading'); true",
    );
    b.eval("document.getElementById('field').value = 'b typed'; true");

    site.edit("partials/form.html", "form v1", "form v2");
    wait_for_text(&a, "heading", "form v2");

    assert_not_reloaded(&a);
    assert_eq!(a.eval("window.__hotplate.morphs"), 1);
    assert_eq!(a.eval("document.getElementById('field').value"), "typed");
    assert_eq!(a.eval("document.activeElement.id"), "field");
    assert_eq!(
        a.eval("[document.activeElement.selectionStart, document.activeElement.selectionEnd]"),
        serde_json::json!([2, 4])
    );
    assert_eq!(a.eval("window.scrollY"), 500);
    assert_eq!(a.eval("document.getElementById('box').scrollTop"), 30);
    // The heading was updated in place, not recreated.
    assert_eq!(
        a.eval("window.heading === document.getElementById('heading')"),
        true
    );

    // /b heard the update and did nothing with it: no morph, no fetch, no reload.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_not_reloaded(&b);
    assert_eq!(b.eval("window.__hotplate.morphs"), 0);
    assert_eq!(b.eval("document.getElementById('field').value"), "b typed");
    assert_eq!(text_of(&b, "heading"), "page b");
}

#[test]
fn b_a_layout_morphs_every_page_using_it() {
    let site = run("morph");
    let browser = Browser::launch();
    let pages = [open(&browser, &site, "/a"), open(&browser, &site, "/b")];
    for page in &pages {
        page.eval("document.getElementById('field').value = 'typed'; true");
    }
    site.edit("layouts/base.html", "layout v1", "layout v2");
    for page in &pages {
        wait_for_text(page, "header", "layout v2");
        assert_not_reloaded(page);
        assert_eq!(page.eval("document.getElementById('field').value"), "typed");
    }
}

#[test]
fn c_a_markdown_file_morphs_the_page_showing_it() {
    let site = run("morph");
    let browser = Browser::launch();
    let page = open(&browser, &site, "/post");
    let other = open(&browser, &site, "/b");
    assert_eq!(text_of(&page, "heading"), "First post");
    page.eval("document.getElementById('field').value = 'typed'; true");
    site.write(
        "content/post.md",
        "---\ntitle: Second title\n---\nThe *second* version.\n",
    );
    wait_for_text(&page, "heading", "Second title");
    assert_eq!(
        page.eval("document.getElementById('post').innerHTML.trim()"),
        "<p>The <em>second</em> version.</p>"
    );
    assert_eq!(page.eval("document.title"), "Second title");
    assert_not_reloaded(&page);
    assert_eq!(page.eval("document.getElementById('field').value"), "typed");
    assert_eq!(other.eval("window.__hotplate.morphs"), 0);
}

#[test]
fn d_the_head_merges_title_and_stylesheets_without_a_reload() {
    let site = run("morph");
    let browser = Browser::launch();
    let page = open(&browser, &site, "/a");
    // Record whether the new stylesheet applied when the new body text first showed.
    page.eval(
        "new MutationObserver(() => {
           if (document.getElementById('header')?.textContent === 'layout v2' && window.styledAtSwap === undefined)
             window.styledAtSwap = getComputedStyle(document.documentElement).getPropertyValue('--extra').trim();
         }).observe(document.body, { subtree: true, childList: true, characterData: true }); true",
    );
    let layout = site.read("layouts/base.html");
    let layout = layout
        .replace("{% block title %}morph{% endblock %}", "new title")
        .replace(
            r#"<link rel="stylesheet" href="/base.css?v={{ version }}">"#,
            r#"<link rel="stylesheet" href="/base.css?v={{ version }}"><link rel="stylesheet" href="/extra.css">"#,
        )
        .replace("morph fixture", "a new description")
        .replace("layout v1", "layout v2");
    site.write("layouts/base.html", &layout);
    wait_for_text(&page, "header", "layout v2");
    assert_eq!(page.eval("document.title"), "new title");
    assert_eq!(
        page.eval("[...document.querySelectorAll('meta[name=description]')].map((m) => m.content)"),
        serde_json::json!(["a new description"])
    );
    assert_eq!(
        page.eval("window.styledAtSwap"),
        "applied",
        "the body changed before the stylesheet loaded"
    );
    assert_eq!(
        page.eval("document.querySelectorAll('link[href=\"/extra.css\"]').length"),
        1
    );
    assert_eq!(
        page.eval("document.querySelectorAll('head script[src=\"/page.js\"]').length"),
        1
    );
    assert_eq!(
        page.eval("window.scriptRuns"),
        1,
        "an unchanged script ran again"
    );
    assert_not_reloaded(&page);

    // Taking the stylesheet out again removes it.
    site.edit(
        "layouts/base.html",
        r#"<link rel="stylesheet" href="/extra.css">"#,
        "",
    );
    page.wait_for(
        "getComputedStyle(document.documentElement).getPropertyValue('--extra') === ''",
        "the removed stylesheet to stop applying",
    );
    assert_not_reloaded(&page);
}

#[test]
fn e_a_render_error_keeps_the_last_good_dom_and_the_fix_morphs() {
    let site = run("morph");
    let browser = Browser::launch();
    let page = open(&browser, &site, "/a");
    page.eval("document.getElementById('field').value = 'typed'; true");
    site.write("partials/form.html", "<h1 id=\"heading\">\n{% if %}</h1>\n");
    let overlay = page.wait_for(
        "document.querySelector('hotplate-error-overlay')?.shadowRoot.textContent",
        "the overlay",
    );
    let overlay = overlay.as_str().unwrap();
    assert!(overlay.contains("partials/form.html:2"), "{overlay}");
    assert!(overlay.contains("{% if %}"), "{overlay}");
    assert_eq!(
        text_of(&page, "heading"),
        "form v1",
        "the last good DOM stays"
    );

    site.write("partials/form.html", "<h1 id=\"heading\">fixed</h1>\n");
    wait_for_text(&page, "heading", "fixed");
    assert_eq!(
        page.eval("document.querySelector('hotplate-error-overlay') === null"),
        true
    );
    assert_not_reloaded(&page);
    assert_eq!(page.eval("document.getElementById('field').value"), "typed");
}

#[test]
fn f_a_kept_subtree_stays_as_the_page_made_it() {
    let site = run("morph");
    let browser = Browser::launch();
    let page = open(&browser, &site, "/a");
    page.eval(
        "const kept = document.getElementById('kept'); kept.innerHTML = '<b>made by the page</b>';
         window.keptNode = kept.firstChild; true",
    );
    site.edit("pages/a.html", "kept v1", "kept v2");
    site.edit("partials/form.html", "form v1", "form v2");
    wait_for_text(&page, "heading", "form v2");
    assert_eq!(
        page.eval("document.getElementById('kept').innerHTML"),
        "<b>made by the page</b>"
    );
    assert_eq!(
        page.eval("window.keptNode === document.getElementById('kept').firstChild"),
        true
    );
    assert_not_reloaded(&page);
}

#[test]
fn live_state_wins_unless_the_template_changed_that_attribute() {
    let site = run("morph");
    let browser = Browser::launch();
    let page = open(&browser, &site, "/state");
    page.wait_for("customElements.get('x-counter')", "the custom element");
    page.eval(
        "document.getElementById('agree').checked = true;
         document.getElementById('pick').value = 'two';
         document.getElementById('bio').value = 'typed bio';
         document.getElementById('named').value = 'typed name';
         document.getElementById('more').open = true;
         document.getElementById('dialog').show();
         document.getElementById('counter').increment();
         window.counter = document.getElementById('counter');
         window.frameWindow = document.getElementById('frame').contentWindow;
         window.frameWindow.marker = 'frame';
         window.sound = document.getElementById('sound');
         const button = document.getElementById('button');
         button.setAttribute('aria-pressed', 'true');
         button.classList.add('pressed');
         true",
    );
    // Media may only start on a user gesture.
    page.call(
        "Runtime.evaluate",
        serde_json::json!({
            "expression": "document.getElementById('sound').play()",
            "userGesture": true,
            "awaitPromise": true,
        }),
    );
    page.wait_for(
        "!document.getElementById('sound').paused",
        "the audio to play",
    );

    // A change elsewhere on the page: the live state stays.
    site.edit("pages/state.html", "state v1", "state v2");
    wait_for_text(&page, "note", "state v2");
    let live = page.eval(
        "({ agree: document.getElementById('agree').checked,
            pick: document.getElementById('pick').value,
            bio: document.getElementById('bio').value,
            named: document.getElementById('named').value,
            more: document.getElementById('more').open,
            dialog: document.getElementById('dialog').open,
            counter: window.counter === document.getElementById('counter') && window.counter.count,
            frame: document.getElementById('frame').contentWindow.marker,
            playing: window.sound === document.getElementById('sound') && !window.sound.paused,
            theme: document.documentElement.className,
            pressed: document.getElementById('button').getAttribute('aria-pressed') })",
    );
    assert_eq!(
        live,
        serde_json::json!({
            "agree": true, "pick": "two", "bio": "typed bio", "named": "typed name",
            "more": true, "dialog": true, "counter": 1, "frame": "frame", "playing": true,
            "theme": "theme-from-inline-script", "pressed": "true"
        })
    );
    page.eval("document.getElementById('button').click(); true");
    assert_eq!(page.eval("window.clicks"), 1, "the listener was lost");

    // The template changes those very attributes: the template wins.
    site.edit(
        "pages/state.html",
        r#"<input id="named" value="from template">"#,
        r#"<input id="named" value="new from template">"#,
    );
    site.edit(
        "pages/state.html",
        r#"<details id="more">"#,
        r#"<details id="more" data-x="1">"#,
    );
    site.edit(
        "pages/state.html",
        r#"<button id="button">"#,
        r#"<button id="button" class="primary" aria-pressed="false">"#,
    );
    // Three saves: wait for the last one's render (an earlier one may morph in first).
    page.wait_for(
        "document.getElementById('named').value === 'new from template' && \
         document.getElementById('button').getAttribute('aria-pressed') === 'false'",
        "the template's new values",
    );
    // `open` was not what changed: the user's open <details> stays open.
    assert_eq!(page.eval("document.getElementById('more').open"), true);
    // The template's class joins the script's; the template's new aria-pressed wins.
    assert_eq!(
        page.eval("[...document.getElementById('button').classList].sort()"),
        serde_json::json!(["pressed", "primary"])
    );
    assert_eq!(
        page.eval("document.getElementById('button').getAttribute('aria-pressed')"),
        "false"
    );
    assert_eq!(
        page.eval("document.documentElement.className"),
        "theme-from-inline-script"
    );
    assert_eq!(
        page.eval("document.getElementById('bio').value"),
        "typed bio"
    );
    site.edit(
        "pages/state.html",
        "bio from template",
        "new bio from template",
    );
    page.wait_for(
        "document.getElementById('bio').value === 'new bio from template'",
        "the template's new textarea text",
    );
    assert_not_reloaded(&page);
}

#[test]
fn quick_successive_saves_end_on_the_last_render() {
    let site = run("morph");
    let browser = Browser::launch();
    let page = open(&browser, &site, "/a");
    for version in 2..=8 {
        site.write(
            "partials/form.html",
            &format!("<h1 id=\"heading\">form v{version}</h1>\n"),
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    wait_for_text(&page, "heading", "form v8");
    std::thread::sleep(std::time::Duration::from_millis(200));
    assert_eq!(
        text_of(&page, "heading"),
        "form v8",
        "an older render came last"
    );
    assert_not_reloaded(&page);
}

#[test]
fn scripts_run_again_only_when_they_are_new() {
    let site = run("morph");
    let browser = Browser::launch();
    let page = open(&browser, &site, "/a");
    site.edit(
        "partials/form.html",
        "form v1</h1>",
        "form v2</h1><script>window.inline = (window.inline || 0) + 1;</script>",
    );
    page.wait_for("window.inline === 1", "the new inline script to run");
    site.edit("partials/form.html", "form v2", "form v3");
    wait_for_text(&page, "heading", "form v3");
    assert_eq!(
        page.eval("window.inline"),
        1,
        "an unchanged script ran again"
    );
    assert_eq!(page.eval("window.scriptRuns"), 1);
    assert_not_reloaded(&page);
}

#[test]
fn a_removed_page_reloads_into_the_404_and_an_added_one_needs_nothing() {
    let site = run("morph");
    let browser = Browser::launch();
    let page = open(&browser, &site, "/b");
    let other = open(&browser, &site, "/a");
    site.write(
        "pages/new.html",
        "{% extends \"layouts/base.html\" %}{% block body %}new{% endblock %}",
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_not_reloaded(&other);
    assert_eq!(other.eval("window.__hotplate.morphs"), 0);

    std::fs::remove_file(site.path("pages/b.html")).unwrap();
    page.wait_for(
        "window.marker === undefined && document.body && document.body.textContent.includes('404')",
        "the page to reload into the 404",
    );
    assert_not_reloaded(&other);
}
