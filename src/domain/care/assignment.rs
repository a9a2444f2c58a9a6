//! Round-robin choice of the nurse who gets a new follow-up task.
//!
//! Among nurses on shift with room for another task, the one assigned least recently wins;
//! nurses never assigned come first, and ties go to the smallest id so the choice is
//! deterministic (two workers deciding on the same data pick the same nurse).
//!
//! A CRITICAL or HIGH task does not wait for room: when nobody on shift has any, it
//! goes to the on-shift nurse holding the fewest tasks ([`pick_over_capacity`]).

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A nurse who could take the task, as the caller sees them now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NurseCandidate {
    /// The nurse's id.
    pub id: Uuid,
    /// Whether the nurse is on shift at the moment of assignment.
    pub on_shift_now: bool,
    /// When the nurse was last given a task, if ever.
    pub last_assigned_at: Option<DateTime<Utc>>,
    /// Tasks the nurse currently holds.
    pub open_tasks: u32,
    /// The most tasks the nurse may hold at once.
    pub max_open_tasks: u32,
}

impl NurseCandidate {
    fn available(&self) -> bool {
        self.on_shift_now && self.open_tasks < self.max_open_tasks
    }
}

/// The nurse to assign, or `None` when nobody on shift has capacity.
///
/// A `last_assigned_at` later than `now` (clock skew between workers) is treated as `now`, so
/// such a nurse is not starved of assignments for longer than the skew itself.
pub fn pick_nurse(candidates: &[NurseCandidate], now: DateTime<Utc>) -> Option<Uuid> {
    candidates
        .iter()
        .filter(|c| c.available())
        // `None` sorts before `Some`, so never-assigned nurses come first.
        .min_by_key(|c| (c.last_assigned_at.map(|at| at.min(now)), c.id))
        .map(|c| c.id)
}

/// Whether a task of this severity may be given to a nurse past their
/// `max_open_tasks` when nobody on shift has room.
pub fn may_exceed_capacity(severity: &str) -> bool {
    matches!(severity, "CRITICAL" | "HIGH")
}

/// The on-shift nurse holding the fewest tasks, capacity aside (ties: the least
/// recently assigned, then the smallest id); `None` when nobody is on shift.
pub fn pick_over_capacity(candidates: &[NurseCandidate], now: DateTime<Utc>) -> Option<Uuid> {
    candidates
        .iter()
        .filter(|c| c.on_shift_now)
        .min_by_key(|c| (c.open_tasks, c.last_assigned_at.map(|at| at.min(now)), c.id))
        .map(|c| c.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 3, 14, 0, 0).unwrap()
    }

    fn nurse(n: u128) -> NurseCandidate {
        NurseCandidate {
            id: Uuid::from_u128(n),
            on_shift_now: true,
            last_assigned_at: None,
            open_tasks: 0,
            max_open_tasks: 10,
        }
    }

    #[test]
    fn ten_picks_over_three_nurses_split_four_three_three() {
        let mut nurses = vec![nurse(3), nurse(1), nurse(2)];
        let mut picks = Vec::new();
        for i in 0..10 {
            let at = now() + Duration::minutes(i);
            let id = pick_nurse(&nurses, at).unwrap();
            let chosen = nurses.iter_mut().find(|n| n.id == id).unwrap();
            chosen.last_assigned_at = Some(at);
            chosen.open_tasks += 1;
            picks.push(id.as_u128());
        }
        assert_eq!(picks, [1, 2, 3, 1, 2, 3, 1, 2, 3, 1]);
        let count = |n| picks.iter().filter(|&&p| p == n).count();
        assert_eq!((count(1), count(2), count(3)), (4, 3, 3));
    }

    #[test]
    fn urgent_work_past_capacity_goes_to_the_least_loaded_nurse_on_shift() {
        let mut full = vec![nurse(1), nurse(2), nurse(3)];
        for (c, open) in full.iter_mut().zip([5, 3, 4]) {
            c.open_tasks = open;
            c.max_open_tasks = 3;
        }
        assert_eq!(pick_nurse(&full, now()), None);
        assert_eq!(pick_over_capacity(&full, now()), Some(Uuid::from_u128(2)));
        full[1].on_shift_now = false;
        assert_eq!(pick_over_capacity(&full, now()), Some(Uuid::from_u128(3)));
        for c in &mut full {
            c.on_shift_now = false;
        }
        assert_eq!(pick_over_capacity(&full, now()), None);
        assert!(may_exceed_capacity("CRITICAL") && may_exceed_capacity("HIGH"));
        assert!(!may_exceed_capacity("MODERATE") && !may_exceed_capacity("LOW"));
    }

    #[test]
    fn a_never_assigned_nurse_goes_before_everyone_else() {
        let mut veteran = nurse(1);
        veteran.last_assigned_at = Some(now() - Duration::days(30));
        let newcomer = nurse(9);
        assert_eq!(
            pick_nurse(&[veteran, newcomer], now()),
            Some(Uuid::from_u128(9))
        );
    }

    #[test]
    fn the_least_recently_assigned_nurse_wins() {
        let mut a = nurse(1);
        a.last_assigned_at = Some(now() - Duration::minutes(5));
        let mut b = nurse(2);
        b.last_assigned_at = Some(now() - Duration::minutes(50));
        assert_eq!(pick_nurse(&[a, b], now()), Some(Uuid::from_u128(2)));
    }

    #[test]
    fn nurses_off_shift_or_at_capacity_are_skipped() {
        let mut off = nurse(1);
        off.on_shift_now = false;
        let mut full = nurse(2);
        full.open_tasks = 10;
        let mut busy_but_free = nurse(3);
        busy_but_free.open_tasks = 9;
        busy_but_free.last_assigned_at = Some(now());
        assert_eq!(
            pick_nurse(&[off.clone(), full.clone(), busy_but_free], now()),
            Some(Uuid::from_u128(3))
        );
        assert_eq!(pick_nurse(&[off, full], now()), None);
        assert_eq!(pick_nurse(&[], now()), None);
    }

    #[test]
    fn a_future_assignment_time_counts_as_now() {
        let mut skewed = nurse(1);
        skewed.last_assigned_at = Some(now() + Duration::hours(5));
        let mut just_now = nurse(2);
        just_now.last_assigned_at = Some(now());
        // Clamped to `now`, the skewed nurse ties and wins on the smaller id.
        assert_eq!(
            pick_nurse(&[just_now, skewed], now()),
            Some(Uuid::from_u128(1))
        );
    }
}
