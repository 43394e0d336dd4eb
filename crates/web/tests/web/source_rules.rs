//! Rules about the source itself that keep the design honest: the bypass scope serves
//! no request, and no two top-level modules of a crate import each other, directly or
//! round a loop (a feature is a folder; shared code is below the features).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut stack = vec![dir.to_path_buf()];
    let mut out = Vec::new();
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

/// The deliberate bypasses serve no request: the web crate never names them — the
/// system job's scope, and the registry's command-line operator.
#[test]
fn no_request_handler_uses_the_system_job_scope() {
    let files = rust_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    for path in &files {
        let text = std::fs::read_to_string(path).expect("read");
        for bypass in ["system_job", "command_line_operator"] {
            assert!(!text.contains(bypass), "{} uses {bypass}", path.display());
        }
    }
    assert!(files.len() > 10, "read the web crate's sources");
}

/// The top-level modules of a crate that each one names in code (`crate::x`), comments
/// left out.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let top_of = |p: &Path| -> String {
        let rel = p.strip_prefix(src).expect("under src");
        let first = rel.components().next().expect("a component");
        first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string()
    };
    let files = rust_files(src);
    let modules: BTreeSet<String> = files.iter().map(|p| top_of(p)).collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in &files {
        let from = top_of(path);
        if from == "lib" || from == "main" {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("read");
        for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
            for part in line.split("crate::").skip(1) {
                let to: String = part
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if to != from && modules.contains(&to) {
                    graph.entry(from.clone()).or_default().insert(to);
                }
            }
        }
    }
    graph
}

#[test]
fn no_import_cycles_between_the_modules_of_a_crate() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for name in ["core", "store", "web", "report", "geo"] {
        let graph = module_graph(&crates.join(name).join("src"));
        // Depth-first search for a back edge.
        fn visit(
            node: &str,
            graph: &BTreeMap<String, BTreeSet<String>>,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(i) = path.iter().position(|p| p == node) {
                let mut cycle = path[i..].to_vec();
                cycle.push(node.to_string());
                return Some(cycle);
            }
            if done.contains(node) {
                return None;
            }
            path.push(node.to_string());
            for next in graph.get(node).into_iter().flatten() {
                if let Some(c) = visit(next, graph, path, done) {
                    return Some(c);
                }
            }
            path.pop();
            done.insert(node.to_string());
            None
        }
        let mut done = BTreeSet::new();
        for node in graph.keys() {
            let cycle = visit(node, &graph, &mut Vec::new(), &mut done);
            assert!(
                cycle.is_none(),
                "{name}: modules import each other: {cycle:?}"
            );
        }
    }
}
