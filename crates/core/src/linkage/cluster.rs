//! Clustering linked pairs into people without chaining strangers: pairs are joined
//! strongest first, and two groups become one only if no record of one is clearly
//! someone else than a record of the other (every pair across them scored, none below
//! `floor`). Plain connected components would let «علی رضایی» link to «علی رضاییان» and
//! on to a third man through one weak link each.

/// One link: two record indices and the pair's probability.
pub type Link = (u32, u32, f64);

/// Groups of records, as a cluster number per record (the smallest index in it).
/// `score(i, j)` gives any pair's probability (for pairs across two groups that were
/// not candidates); links below `threshold` are ignored; a merge is refused when any
/// pair across has a probability under `floor`, or would make a group above
/// `max_size` (a person registered more often than that is a question for a reviewer).
pub fn clusters(
    n: usize,
    links: &mut [Link],
    threshold: f64,
    floor: f64,
    max_size: usize,
    score: impl Fn(u32, u32) -> f64,
) -> Vec<u32> {
    let mut parent: Vec<u32> = (0..n as u32).collect();
    let mut members: Vec<Vec<u32>> = (0..n as u32).map(|i| vec![i]).collect();
    links.sort_unstable_by(|a, b| b.2.total_cmp(&a.2).then((a.0, a.1).cmp(&(b.0, b.1))));
    for &(a, b, p) in links.iter() {
        if p < threshold {
            break;
        }
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra == rb {
            continue;
        }
        let (ma, mb) = (&members[ra as usize], &members[rb as usize]);
        if ma.len() + mb.len() > max_size {
            continue;
        }
        let agrees = ma.len() * mb.len() == 1
            || ma.iter().all(|&x| mb.iter().all(|&y| score(x, y) >= floor));
        if !agrees {
            continue;
        }
        let (keep, gone) = if ra < rb { (ra, rb) } else { (rb, ra) };
        parent[gone as usize] = keep;
        let moved = std::mem::take(&mut members[gone as usize]);
        members[keep as usize].extend(moved);
    }
    (0..n as u32).map(|i| find(&mut parent, i)).collect()
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let up = parent[parent[x as usize] as usize];
        parent[x as usize] = up;
        x = up;
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weak_link_does_not_chain_strangers() {
        // 0–1 strong, 1–2 strong, but 0 and 2 are clearly different people.
        let mut links = vec![(0, 1, 0.99), (1, 2, 0.95)];
        let score = |a: u32, b: u32| match (a.min(b), a.max(b)) {
            (0, 2) => 0.0001,
            _ => 0.99,
        };
        let c = clusters(3, &mut links, 0.9, 0.01, 50, score);
        assert_eq!(c, [0, 0, 2]);
        // When 0 and 2 merely lack evidence, the chain holds.
        let mut links = vec![(0, 1, 0.99), (1, 2, 0.95)];
        let c = clusters(3, &mut links, 0.9, 0.01, 50, |_, _| 0.3);
        assert_eq!(c, [0, 0, 0]);
    }

    #[test]
    fn links_below_the_threshold_are_ignored() {
        let mut links = vec![(0, 1, 0.5)];
        assert_eq!(clusters(2, &mut links, 0.9, 0.01, 50, |_, _| 1.0), [0, 1]);
    }
}
