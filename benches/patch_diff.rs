//! The server's side of a template save's patch (`payload::patch::diff`) on the 5,000-element
//! page of `save_to_screen`'s big-page case: 1,250 list rows of a link, a label and an input.
//!
//! Run: `cargo bench --bench patch_diff` (add `-- 50` for another number of rounds).
//!
//! It reports medians and minimums (ms) of:
//! - html5ever's parse of the page into rcdom, alone, and as the patch parses (fed a piece at
//!   a time, to place each text in the page);
//! - the diff of a heading save and of a save that changes every row's label, as the pipeline
//!   runs it: the tree of the render the tabs show is kept from the last diff, the new render
//!   is parsed;
//! - the same with the caches cold, as a save finds them (64 MB swept through between rounds):
//!   the diff is bound by memory, so the tight loop's figure flatters it;
//! - the same two with neither tree kept (both parsed);
//! - and the size of each patch as JSON against the page.
//!
//! Target (DESIGN.md, issue 23): a big page's save applied in the browser under 16 ms, of which
//! this is the server's largest part.

use hotplate::testing::payload::{parse, patch};
use html5ever::tendril::TendrilSink;
use std::time::Instant;

fn page(heading: &str, label: &str) -> String {
    let mut html = format!(
        "<!doctype html><html><head><meta charset=utf-8><title>big</title></head><body>\n\
         <h1 id=title>{heading}</h1>\n<ul id=list>\n"
    );
    for i in 0..1250 {
        html.push_str(&format!(
            "<li>\n  <a href=\"#row-{i}\">row {i}</a>\n  <span class=label>{label}</span>\n  <input name=\"q{i}\">\n</li>\n"
        ));
    }
    html.push_str("</ul>\n</body></html>\n");
    html
}

/// The median and the fastest, as `median (min)`: on a noisy machine the fastest is the steadier
/// figure to compare two versions by.
fn median(mut samples: Vec<f64>) -> String {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    format!("{:6.2} ({:5.2})", samples[samples.len() / 2], samples[0])
}

/// Pushes what the last diff touched out of the CPU's caches, as the time between two saves
/// does: 64 MB written through, then a pause.
fn chill_caches() {
    let mut sweep = vec![1u8; 64 << 20];
    for byte in sweep.iter_mut().step_by(64) {
        *byte = byte.wrapping_add(1);
    }
    std::hint::black_box(&sweep);
    std::thread::sleep(std::time::Duration::from_millis(100));
}

fn ms(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

fn main() {
    let rounds: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(30);
    let base = page("Rows", "label");
    println!(
        "patch diff on a {} byte page, {rounds} rounds (ms; median (min))",
        base.len()
    );

    let mut parse = Vec::new();
    for _ in 0..rounds {
        let started = Instant::now();
        let dom = html5ever::parse_document(
            markup5ever_rcdom::RcDom::default(),
            html5ever::ParseOpts::default(),
        )
        .one(base.as_str());
        parse.push(ms(started));
        drop(dom);
    }
    println!(
        "  html5ever + rcdom parse              {:>14}",
        median(parse)
    );
    let mut placed = Vec::new();
    for _ in 0..rounds {
        let started = Instant::now();
        let parsed = parse::parse(&base);
        placed.push(ms(started));
        drop(parsed);
    }
    println!(
        "  the same, fed in pieces, texts placed {:>13}",
        median(placed)
    );

    for (what, change) in [
        (
            "heading",
            (|i: usize| page(&format!("Rows {i}"), "label")) as fn(usize) -> String,
        ),
        ("every row", |i: usize| page("Rows", &format!("label {i}"))),
    ] {
        let (mut warm, mut chilled, mut cold, mut bytes) = (Vec::new(), Vec::new(), Vec::new(), 0);
        let mut shown = base.clone();
        patch::remember(&shown);
        for i in 0..rounds * 2 {
            let next = change(i + 1);
            // Half the rounds as a save finds the machine: the tree's memory long out of the
            // caches (the diff is bound by memory, so a tight loop flatters it).
            let chill = i >= rounds;
            if chill {
                chill_caches();
            }
            let started = Instant::now();
            let ops = patch::diff(&shown, &next).expect("a patch");
            if chill { &mut chilled } else { &mut warm }.push(ms(started));
            // As the pipeline does once the message is on its way.
            patch::settle();
            bytes = serde_json::to_vec(&ops).unwrap().len();
            shown = next;
        }
        for i in 0..rounds {
            // A comment of its own: neither render is a tree kept from before.
            let old = format!("{}<!-- {i} -->", change(i));
            let new = format!("{}<!-- {i} -->", change(i + 1));
            let started = Instant::now();
            patch::diff(&old, &new).expect("a patch");
            cold.push(ms(started));
        }
        println!(
            "  {what:<10} diff, shown tree kept      {:>14}   ({bytes} bytes of ops)",
            median(warm)
        );
        println!(
            "  {what:<10} diff, the same, caches cold {:>12}",
            median(chilled)
        );
        println!(
            "  {what:<10} diff, both parsed         {:>14}",
            median(cold)
        );
    }
}
