//! The DOM morph on a 5,000-element page, in real headless Chromium (DESIGN: under 16 ms).
//!
//! Run: `cargo bench --bench morph` (add `-- 50` for 50 runs per case).
//!
//! hotplate serves a page of 1,000 list items with four children each (5,000 elements in the
//! list). The page imports the runtime's `morph.js` and, for each run, parses its own HTML with
//! one change in it (`DOMParser`) and morphs the live document into it. Times come from
//! `performance.now()` in the page; medians and p90 over the runs, after warm-up runs.
//!
//! - `one text change`: the 500th item's text changed, as a partial edit would.
//! - `500 text changes`: every other item's text changed.
//! - `item inserted`: a new item at the top of the list (every later item shifts by one).
//! - `parse + morph, one change`: the same as the first, counting `DOMParser` too.

mod common;
use common::report;
use testkit::Browser;

const WARM_UP: usize = 5;

fn main() {
    let runs: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(30);
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pages")).unwrap();
    std::fs::write(
        site.path().join("pages/big.html"),
        r#"<!doctype html><html><head><title>big</title></head><body><ul id="list">
{% for i in range(1000) %}<li class="item" data-i="{{ i }}"><span class="name">item {{ i }}</span> <a href="/x/{{ i }}">link</a> <b>bold</b> <input value="{{ i }}"></li>
{% endfor %}</ul></body></html>"#,
    )
    .unwrap();
    let (url, _runtime) = common::serve(site.path());
    let browser = Browser::launch();
    let page = browser.open(&format!("{url}/big"));
    page.wait_for(
        "window.__hotplate && window.__hotplate.boot",
        "the runtime to connect",
    );
    let elements = page.eval("document.getElementById('list').querySelectorAll('*').length");
    page.eval(
        "(async () => {
           window.morph = await import('/__hotplate/morph.js');
           window.original = document.documentElement.outerHTML;
           return true;
         })()",
    );

    println!(
        "morph of a page with {elements} list elements, {runs} runs per case (ms; median / p90)"
    );
    let cases = [
        ("one text change", "one", false),
        ("500 text changes", "many", false),
        ("item inserted", "insert", false),
        ("parse + morph, one change", "one", true),
    ];
    for (name, change, count_parse) in cases {
        let times = page.eval(&format!(
            "(async () => {{
               const edit = (html, run) => {{
                 switch ({change:?}) {{
                   case 'one': return html.replace('item 500<', `item 500, run ${{run}}<`);
                   case 'many': return html.replace(/item (\\d*[02468])</g, `item $1, run ${{run}}<`);
                   case 'insert': return html.replace('<ul id=\"list\">', `<ul id=\"list\"><li class=\"item\">new ${{run}}</li>`);
                 }}
               }};
               const times = [];
               for (let run = 0; run < {total}; run++) {{
                 // Alternate between the edited page and the original, so each run changes something.
                 const html = run % 2 ? window.original : edit(window.original, run);
                 let start = performance.now();
                 const next = new DOMParser().parseFromString(html, 'text/html');
                 if (!{count_parse}) start = performance.now();
                 await window.morph.morphDocument(next);
                 const took = performance.now() - start;
                 if (run >= {WARM_UP}) times.push(took);
               }}
               return times;
             }})()",
            total = runs + WARM_UP,
        ));
        let samples: Vec<f64> = times
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_f64().unwrap())
            .collect();
        report(name, samples);
    }
    // The page is whole after all those morphs.
    let after = page.eval("document.getElementById('list').querySelectorAll('*').length");
    assert_eq!(after, elements, "the morphs left a different page");
}
