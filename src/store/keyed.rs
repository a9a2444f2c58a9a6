//! Choosing which runs with concurrency keys may start, without exceeding any key's
//! limit: shared by both backends' claims.

use std::collections::HashMap;

use super::{RunId, TenantId};

/// From due `candidates` (tenant, run, key, limit), in order, the runs that fit next
/// to those `running` (tenant, key, count), at most `room` of them.
pub(crate) fn choose(
    candidates: &[(TenantId, RunId, String, i32)],
    running: &[(TenantId, String, i64)],
    room: i64,
) -> Vec<(TenantId, RunId)> {
    let mut busy: HashMap<(&TenantId, &str), i64> = running
        .iter()
        .map(|(t, k, n)| ((t, k.as_str()), *n))
        .collect();
    let mut out = Vec::new();
    for (tenant, run, key, limit) in candidates {
        if out.len() as i64 >= room {
            break;
        }
        let n = busy.entry((tenant, key.as_str())).or_insert(0);
        if *n < i64::from(*limit) {
            *n += 1;
            out.push((tenant.clone(), *run));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_never_exceeds_its_limit_counting_what_already_runs() {
        let t = TenantId::parse("t").unwrap();
        let r = || RunId::new();
        let candidates = vec![
            (t.clone(), r(), "nurse-1".to_string(), 1),
            (t.clone(), r(), "nurse-1".to_string(), 1),
            (t.clone(), r(), "nurse-2".to_string(), 2),
            (t.clone(), r(), "nurse-2".to_string(), 2),
            (t.clone(), r(), "nurse-3".to_string(), 1),
        ];
        let running = vec![(t.clone(), "nurse-3".to_string(), 1)];
        let chosen = choose(&candidates, &running, 10);
        assert_eq!(chosen.len(), 3);
        assert_eq!(chosen[0].1, candidates[0].1);
        assert_eq!(chosen[1].1, candidates[2].1);
        assert_eq!(chosen[2].1, candidates[3].1);
    }
}
