//! Greedy agglomeration of groups into sides on positive net evidence.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rustc_hash::FxHashMap;

/// A pair of clusters that may merge: (evidence, pair, versions when pushed).
type Candidate = (i64, Reverse<(usize, usize)>, u32, u32);

/// Greedy agglomeration on positive evidence. Returns, per group, the
/// index of its cluster (the lowest group index in it).
pub(super) fn merge_groups(n: usize, mut rows: Vec<FxHashMap<usize, i64>>) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..n).collect();
    let mut version = vec![0_u32; n];
    // Max-heap on evidence; ties → lowest (i, j).
    let mut heap: BinaryHeap<Candidate> = BinaryHeap::new();
    for (i, row) in rows.iter().enumerate() {
        for (&j, &w) in row {
            if i < j && w > 0 {
                heap.push((w, Reverse((i, j)), 0, 0));
            }
        }
    }
    while let Some((_, Reverse((i, j)), vi, vj)) = heap.pop() {
        if parent[i] != i || parent[j] != j || version[i] != vi || version[j] != vj {
            continue;
        }
        // Merge j into i (i < j, so the cluster keeps its lowest index).
        parent[j] = i;
        version[i] += 1;
        let row_j = std::mem::take(&mut rows[j]);
        for (k, w) in row_j {
            if k == i {
                continue;
            }
            *rows[i].entry(k).or_default() += w;
            let row_k = &mut rows[k];
            row_k.remove(&j);
            *row_k.entry(i).or_default() += w;
        }
        rows[i].remove(&j);
        for (&k, &w) in &rows[i] {
            if w > 0 {
                let (a, b) = if i < k { (i, k) } else { (k, i) };
                let (va, vb) = (version[a], version[b]);
                heap.push((w, Reverse((a, b)), va, vb));
            }
        }
    }
    (0..n)
        .map(|mut g| {
            while parent[g] != g {
                g = parent[g];
            }
            g
        })
        .collect()
}

/// Local moves after the greedy merge: each group, in id order, moves to
/// the cluster its own evidence favours most (or to a cluster of its own
/// when it favours none), until no group moves. Greedy merging decides on
/// sums of whole clusters and can strand a group on the wrong side; this
/// pass looks at each group's own evidence. Ties stay put; at most
/// `MAX_PASSES` passes.
pub(super) fn refine(rows: &[FxHashMap<usize, i64>], cluster_of: &mut [usize]) {
    const MAX_PASSES: usize = 20;
    let mut sums: FxHashMap<usize, i64> = FxHashMap::default();
    let mut size: FxHashMap<usize, usize> = FxHashMap::default();
    for &c in cluster_of.iter() {
        *size.entry(c).or_default() += 1;
    }
    let relabel = |size: &mut FxHashMap<usize, usize>, cluster_of: &mut [usize], g, to| {
        let from = cluster_of[g];
        *size.entry(from).or_default() -= 1;
        *size.entry(to).or_default() += 1;
        cluster_of[g] = to;
    };
    for _ in 0..MAX_PASSES {
        let mut moved = false;
        for g in 0..rows.len() {
            sums.clear();
            for (&h, &w) in &rows[g] {
                *sums.entry(cluster_of[h]).or_default() += w;
            }
            let here = cluster_of[g];
            // Evidence towards the group's own cluster, without itself.
            let stay = sums.get(&here).copied().unwrap_or(0);
            let best = sums
                .iter()
                .filter(|(&c, _)| c != here)
                .max_by_key(|(&c, &w)| (w, Reverse(c)))
                .map(|(&c, &w)| (c, w));
            let alone = size.get(&here) == Some(&1);
            match best {
                Some((c, w)) if w > stay && w > 0 => {
                    relabel(&mut size, cluster_of, g, c);
                    moved = true;
                }
                _ if stay < 0 && !alone => {
                    // Nobody wants it: a side of its own, under a label no
                    // cluster uses (its former cluster may be named `g`).
                    relabel(&mut size, cluster_of, g, rows.len() + g);
                    moved = true;
                }
                _ => {}
            }
        }
        if !moved {
            break;
        }
    }
    // Name every cluster by its lowest group again.
    let mut lowest: FxHashMap<usize, usize> = FxHashMap::default();
    for (g, &c) in cluster_of.iter().enumerate() {
        lowest.entry(c).or_insert(g);
    }
    for c in cluster_of.iter_mut() {
        *c = lowest[c];
    }
}
