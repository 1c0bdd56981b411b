//! Topological ordering with cycle detection.

use std::collections::{BTreeSet, HashMap};

use super::Step;
use crate::error::{Error, Result};

pub(super) fn order(steps: Vec<Step>) -> Result<Vec<Step>> {
    let mut index: HashMap<&str, usize> = HashMap::new();
    for (i, s) in steps.iter().enumerate() {
        if index.insert(s.id.as_str(), i).is_some() {
            return Err(Error::PlanDuplicateStep(s.id.clone()));
        }
    }
    let mut deps: Vec<Vec<usize>> = Vec::with_capacity(steps.len());
    for s in &steps {
        let mut d = Vec::new();
        for dep in &s.depends_on {
            match index.get(dep.as_str()) {
                Some(&j) => d.push(j),
                None => {
                    return Err(Error::PlanUnknownDependency {
                        step: s.id.clone(),
                        missing: dep.clone(),
                    });
                }
            }
        }
        deps.push(d);
    }
    if let Some(cycle) = find_cycle(&deps) {
        return Err(Error::PlanCycle {
            cycle: cycle.into_iter().map(|i| steps[i].id.clone()).collect(),
        });
    }
    // Kahn's algorithm; the ready set is ordered by declaration index.
    let n = steps.len();
    let mut remaining: Vec<usize> = deps.iter().map(|d| d.len()).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, d) in deps.iter().enumerate() {
        for &j in d {
            dependents[j].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| remaining[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        order.push(i);
        for &k in &dependents[i] {
            remaining[k] -= 1;
            if remaining[k] == 0 {
                ready.insert(k);
            }
        }
    }
    let mut slots: Vec<Option<Step>> = steps.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|i| slots[i].take()).collect())
}

/// A cycle as step indices with the first repeated at the end, if any (iterative DFS).
fn find_cycle(deps: &[Vec<usize>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Active,
        Done,
    }
    let mut mark = vec![Mark::New; deps.len()];
    for start in 0..deps.len() {
        if mark[start] != Mark::New {
            continue;
        }
        // Stack of (node, next dependency index to visit).
        let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
        mark[start] = Mark::Active;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&dep) = deps[node].get(*next) {
                *next += 1;
                match mark[dep] {
                    Mark::New => {
                        mark[dep] = Mark::Active;
                        stack.push((dep, 0));
                    }
                    Mark::Active => {
                        let pos = stack.iter().position(|&(n, _)| n == dep).unwrap_or(0);
                        // The stack walks "depends on" edges; report in execution direction.
                        let mut cycle: Vec<usize> = stack[pos..].iter().map(|&(n, _)| n).collect();
                        cycle.reverse();
                        // Start at the step declared first, so the message is stable.
                        let first = (0..cycle.len()).min_by_key(|&i| cycle[i]).unwrap_or(0);
                        cycle.rotate_left(first);
                        cycle.push(cycle[0]);
                        return Some(cycle);
                    }
                    Mark::Done => {}
                }
            } else {
                mark[node] = Mark::Done;
                stack.pop();
            }
        }
    }
    None
}
