//! Graph bookkeeping per hot update, on generated module graphs of growing size.
//!
//! Run: `cargo bench --bench graph_bookkeeping`.
//!
//! Each graph is a page loading `main.js`, under which modules fan out ten to a level. The
//! modules just above the leaves accept themselves (the boundaries), so every update walks the
//! same distance however big the graph. One update is:
//! - **plan**: a leaf module changed; walk up to its boundary and stamp the chain;
//! - **re-serve**: the browser fetches the stale modules again, so their edges are recorded
//!   again (same imports: nothing is pruned).
//!
//! The figures are medians over many updates of different leaves. The target is under 1 ms at
//! 10,000 modules, and no growth with the size of the graph.

use hotplate::testing::base::{Change, ChangeBatch, ChangeKind, SitePath};
use hotplate::testing::graph::{Accepts, Graph, Import};
use hotplate::testing::plan;
use std::time::Instant;

const FAN_OUT: usize = 10;
const UPDATES: usize = 2_000;

fn main() {
    println!("graph bookkeeping per update (µs; median / p90)");
    for levels in [3, 4, 5] {
        let (mut graph, leaves, modules) = generate(levels);
        let mut plan_times = Vec::new();
        let mut serve_times = Vec::new();
        for i in 0..UPDATES {
            let leaf = &leaves[(i * 7919) % leaves.len()];
            let batch = ChangeBatch {
                changes: vec![Change {
                    path: leaf.clone(),
                    kind: ChangeKind::Modified,
                }],
                rescan: false,
                ..Default::default()
            };
            let started = Instant::now();
            let plan = plan::plan(&batch, &graph, 1 + i as u64);
            plan.apply(&mut graph);
            plan_times.push(started.elapsed().as_secs_f64() * 1e6);
            assert_eq!(plan.updates.len(), 1, "one boundary per leaf");

            // The stale chain is served again: leaf, its parents, up to the boundary.
            let started = Instant::now();
            let mut file = leaf.clone();
            loop {
                let node = graph.node(&file).unwrap().clone();
                let imports = node
                    .imports
                    .iter()
                    .map(|f| Import {
                        file: f.clone(),
                        url: f.url(),
                    })
                    .collect();
                let pruned = graph.record_module(&file, &node.url, imports, node.accepts.clone());
                assert!(pruned.is_empty());
                if node.accepts.itself {
                    break;
                }
                file = node.importers.iter().next().unwrap().clone();
            }
            serve_times.push(started.elapsed().as_secs_f64() * 1e6);
        }
        let (p50, p90) = quantiles(&mut plan_times);
        let (s50, s90) = quantiles(&mut serve_times);
        println!(
            "  {modules:>7} modules: plan {p50:>6.2} / {p90:>6.2}   re-serve {s50:>6.2} / {s90:>6.2}"
        );
    }
}

/// A page, `main.js`, then `levels` levels of fan-out; returns the graph, its leaves and the
/// module count.
fn generate(levels: u32) -> (Graph, Vec<SitePath>, usize) {
    let mut graph = Graph::new();
    let main = SitePath::new("main.js");
    graph.record_document(
        "/",
        &SitePath::new("index.html"),
        vec![Import {
            file: main.clone(),
            url: main.url(),
        }],
    );
    let mut level = vec![main];
    let mut modules = 1;
    for depth in 1..=levels {
        let mut next = Vec::new();
        for parent in &level {
            let children: Vec<SitePath> = (0..FAN_OUT)
                .map(|i| {
                    SitePath::new(&format!(
                        "{}/m{i}.js",
                        parent.as_str().trim_end_matches(".js")
                    ))
                })
                .collect();
            let accepts = Accepts {
                itself: depth == levels,
                deps: Default::default(),
            };
            let imports = children
                .iter()
                .map(|c| Import {
                    file: c.clone(),
                    url: c.url(),
                })
                .collect();
            graph.record_module(parent, &parent.url(), imports, accepts);
            next.extend(children);
        }
        modules += next.len();
        level = next;
    }
    for leaf in &level {
        graph.record_module(leaf, &leaf.url(), Vec::new(), Accepts::default());
    }
    (graph, level, modules)
}

fn quantiles(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.9))
}
