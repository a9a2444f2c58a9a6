//! The step graph of a definition: duplicate names, unknown dependencies and
//! cycles, each reported with its pointer. Read from the raw JSON so it runs even
//! when some steps have other problems.

use std::collections::{BTreeSet, HashMap};

use serde_json::Value;

use crate::domain::validation::Problems;

/// Records the graph's problems.
pub fn check(steps: &[Value], p: &mut Problems) {
    let names: Vec<Option<&str>> = steps
        .iter()
        .map(|s| s.get("name").and_then(Value::as_str))
        .collect();
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        let Some(name) = name else { continue };
        if index.insert(name, i).is_some() {
            p.push(
                format!("/steps/{i}/name"),
                format!("step `{name}` is defined twice"),
            );
        }
    }
    let mut deps: Vec<Vec<usize>> = vec![Vec::new(); steps.len()];
    for (i, s) in steps.iter().enumerate() {
        let Some(list) = s.get("dependsOn").and_then(Value::as_array) else {
            continue;
        };
        for (j, d) in list.iter().enumerate() {
            let Some(d) = d.as_str() else { continue };
            let at = format!("/steps/{i}/dependsOn/{j}");
            match index.get(d) {
                Some(&k) if k == i => p.push(at, "a step cannot depend on itself"),
                Some(&k) => deps[i].push(k),
                None => p.push(at, format!("unknown step `{d}`")),
            }
        }
    }
    // Kahn's algorithm: whatever never becomes ready is on a cycle or behind one.
    let mut remaining: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut ready: Vec<usize> = (0..steps.len()).filter(|&i| remaining[i] == 0).collect();
    let mut done = vec![false; steps.len()];
    while let Some(i) = ready.pop() {
        done[i] = true;
        for (j, d) in deps.iter().enumerate() {
            for _ in d.iter().filter(|&&k| k == i) {
                remaining[j] -= 1;
                if remaining[j] == 0 {
                    ready.push(j);
                }
            }
        }
    }
    let stuck: BTreeSet<&str> = (0..steps.len())
        .filter(|&i| !done[i])
        .filter_map(|i| names[i])
        .collect();
    if !stuck.is_empty() {
        let list: Vec<String> = stuck.iter().map(|s| format!("`{s}`")).collect();
        p.push(
            "/steps",
            format!("steps {} depend on each other in a cycle", list.join(", ")),
        );
    }
}
