//! The reference graph between files, as the stages and a patch walk it:
//! who refers to a file (to find what an edit reaches), and an order in
//! which each file comes after the files it refers to (to name them).
//!
//! A node is a file's index; an edge `(target, referrer)` says that the
//! CSS/JS file `referrer` refers to `target`. Edge lists are sorted, so
//! that a file's referrers are one binary search away.

/// The files that refer to `target`, in `edges` (sorted
/// `(target, referrer)` pairs).
pub(crate) fn referrers(edges: &[(u32, u32)], target: u32) -> impl Iterator<Item = u32> + '_ {
    let start = edges.partition_point(|&(t, _)| t < target);
    edges[start..]
        .iter()
        .take_while(move |&&(t, _)| t == target)
        .map(|&(_, r)| r)
}

/// Walks up `edges` from `start`: every file that refers, directly or
/// through others, to one of them. `reach` is told of each file found and
/// says whether to go on from it (`false` for a file seen already, or to
/// stop).
pub(crate) fn reach_referrers(edges: &[(u32, u32)], start: Vec<u32>, mut reach: impl FnMut(u32) -> bool) {
    let mut stack = start;
    while let Some(target) = stack.pop() {
        for referrer in referrers(edges, target) {
            if reach(referrer) {
                stack.push(referrer);
            }
        }
    }
}

/// Orders the nodes `0..deps.len()` in levels, each node after the nodes
/// it depends on (`deps[node]`, each once): a level's nodes depend only on
/// earlier levels', so each level can be named on all cores. Nodes that
/// are `None` take no part. On a cycle, the nodes left unordered, which
/// the cycle is among.
pub(crate) fn levels(deps: &[Option<&[usize]>]) -> Result<Vec<Vec<usize>>, Vec<usize>> {
    let mut pending: Vec<usize> = deps.iter().map(|d| d.map_or(0, <[usize]>::len)).collect();
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); deps.len()];
    for (node, d) in deps.iter().enumerate() {
        for &dep in d.iter().copied().flatten() {
            dependents[dep].push(node);
        }
    }
    let mut current: Vec<usize> = (0..deps.len())
        .filter(|&i| deps[i].is_some() && pending[i] == 0)
        .collect();
    let mut levels = Vec::new();
    let mut done = 0;
    while !current.is_empty() {
        done += current.len();
        let mut next = Vec::new();
        for &node in &current {
            for &dependent in &dependents[node] {
                pending[dependent] -= 1;
                if pending[dependent] == 0 {
                    next.push(dependent);
                }
            }
        }
        levels.push(std::mem::replace(&mut current, next));
    }
    if done < deps.iter().filter(|d| d.is_some()).count() {
        return Err((0..deps.len())
            .filter(|&i| deps[i].is_some() && pending[i] > 0)
            .collect());
    }
    Ok(levels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_put_each_node_after_its_dependencies_and_find_cycles() {
        // 0 ← 1 ← 2, 0 ← 3; 4 takes no part.
        let deps: [&[usize]; 4] = [&[], &[0], &[1], &[0]];
        let mut with_none: Vec<Option<&[usize]>> = deps.iter().map(|d| Some(*d)).collect();
        with_none.push(None);
        assert_eq!(levels(&with_none).unwrap(), [vec![0], vec![1, 3], vec![2]]);
        let cycle: [Option<&[usize]>; 3] = [Some(&[2]), Some(&[0]), Some(&[1])];
        assert_eq!(levels(&cycle).unwrap_err(), [0, 1, 2]);
    }

    #[test]
    fn referrers_are_reached_up_the_chains() {
        // 1 and 2 refer to 0; 3 refers to 1.
        let edges = [(0, 1), (0, 2), (1, 3)];
        assert_eq!(referrers(&edges, 0).collect::<Vec<_>>(), [1, 2]);
        let mut reached = vec![false; 4];
        reached[1] = true;
        reach_referrers(&edges, vec![1], |r| !std::mem::replace(&mut reached[r as usize], true));
        assert_eq!(reached, [false, true, false, true]);
    }
}
