//! Which patient an inbound SMS comes from, when only the sender's number and the
//! receiving number are known. Pure: the caller narrows the plans to the tenant that
//! owns the receiving number (when one does) and hands them here.
//!
//! Within those plans, never guess:
//! 1. Among patients with an active plan for the number, the one whose check-in
//!    awaits a reply is the sender; when exactly one patient has an active plan, it
//!    is that patient. Several patients awaiting replies, or several active plans and
//!    none awaiting, is ambiguous.
//! 2. With no active plan, one patient with any plan for the number is the sender;
//!    several are ambiguous.
//! 3. No plan at all: nobody.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// One plan the SMS may answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The tenant of the plan.
    pub tenant: String,
    /// The patient.
    pub patient_id: String,
    /// The plan.
    pub plan_id: Uuid,
    /// Whether the plan is active (its check-ins are still going on).
    pub active: bool,
    /// Whether one of its check-ins awaits a reply.
    pub awaiting_reply: bool,
    /// When the plan was created.
    pub created_at: DateTime<Utc>,
}

/// Where the SMS goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// To this patient's plan.
    Patient(Candidate),
    /// Could be from any of these patients (one plan each, the newest that counts).
    Ambiguous(Vec<Candidate>),
    /// No plan for the number.
    Nobody,
}

/// Routes an SMS among `candidates` by the rules in the module documentation.
pub fn route(candidates: &[Candidate]) -> Route {
    let active: Vec<&Candidate> = candidates.iter().filter(|c| c.active).collect();
    if !active.is_empty() {
        let patients = newest_per_patient(&active);
        let awaiting: Vec<&Candidate> = patients
            .iter()
            .copied()
            .filter(|c| {
                active.iter().any(|a| {
                    a.awaiting_reply && a.tenant == c.tenant && a.patient_id == c.patient_id
                })
            })
            .collect();
        return match (awaiting.as_slice(), patients.as_slice()) {
            ([one], _) | ([], [one]) => Route::Patient(awaiting_plan(&active, one)),
            _ => Route::Ambiguous(patients.into_iter().cloned().collect()),
        };
    }
    let all: Vec<&Candidate> = candidates.iter().collect();
    match newest_per_patient(&all).as_slice() {
        [] => Route::Nobody,
        [one] => Route::Patient((*one).clone()),
        several => Route::Ambiguous(several.iter().map(|c| (*c).clone()).collect()),
    }
}

/// The newest plan of each patient, in a stable order (tenant, patient).
fn newest_per_patient<'a>(plans: &[&'a Candidate]) -> Vec<&'a Candidate> {
    let mut newest: BTreeMap<(&str, &str), &Candidate> = BTreeMap::new();
    for c in plans {
        let key = (c.tenant.as_str(), c.patient_id.as_str());
        match newest.get(&key) {
            Some(kept) if (kept.created_at, kept.plan_id) >= (c.created_at, c.plan_id) => {}
            _ => {
                newest.insert(key, c);
            }
        }
    }
    newest.into_values().collect()
}

/// The patient's plan whose check-in awaits the reply, else the patient's newest.
fn awaiting_plan(active: &[&Candidate], patient: &Candidate) -> Candidate {
    active
        .iter()
        .filter(|a| a.tenant == patient.tenant && a.patient_id == patient.patient_id)
        .filter(|a| a.awaiting_reply)
        .max_by_key(|a| (a.created_at, a.plan_id))
        .map_or_else(|| patient.clone(), |a| (*a).clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn plan(tenant: &str, patient: &str, n: u128, active: bool, awaiting: bool) -> Candidate {
        Candidate {
            tenant: tenant.into(),
            patient_id: patient.into(),
            plan_id: Uuid::from_u128(n),
            active,
            awaiting_reply: awaiting,
            created_at: Utc.with_ymd_and_hms(2025, 3, 3, 14, 0, 0).unwrap()
                + Duration::minutes(i64::try_from(n).unwrap()),
        }
    }

    fn patient(route: Route) -> (String, String, u128) {
        match route {
            Route::Patient(c) => (c.tenant, c.patient_id, c.plan_id.as_u128()),
            other => panic!("expected one patient, got {other:?}"),
        }
    }

    fn ambiguous(route: Route) -> Vec<(String, String)> {
        match route {
            Route::Ambiguous(c) => c.into_iter().map(|c| (c.tenant, c.patient_id)).collect(),
            other => panic!("expected ambiguity, got {other:?}"),
        }
    }

    #[test]
    fn one_active_plan_is_its_patient() {
        let got = route(&[plan("a", "p1", 1, true, false)]);
        assert_eq!(patient(got), ("a".into(), "p1".into(), 1));
    }

    #[test]
    fn the_patient_with_the_outstanding_checkin_wins_over_other_active_plans() {
        let got = route(&[
            plan("a", "p1", 1, true, true),
            plan("a", "p2", 2, true, false),
        ]);
        assert_eq!(patient(got), ("a".into(), "p1".into(), 1));
    }

    #[test]
    fn two_outstanding_checkins_are_ambiguous_even_across_tenants() {
        let got = route(&[
            plan("a", "p1", 1, true, true),
            plan("b", "p9", 2, true, true),
        ]);
        assert_eq!(
            ambiguous(got),
            [("a".into(), "p1".into()), ("b".into(), "p9".into())]
        );
    }

    #[test]
    fn two_active_plans_without_an_outstanding_checkin_are_ambiguous() {
        let got = route(&[
            plan("a", "p1", 1, true, false),
            plan("a", "p2", 2, true, false),
            plan("a", "p3", 3, false, false),
        ]);
        assert_eq!(
            ambiguous(got),
            [("a".into(), "p1".into()), ("a".into(), "p2".into())]
        );
    }

    #[test]
    fn one_patients_several_plans_are_one_patient() {
        let got = route(&[
            plan("a", "p1", 1, true, true),
            plan("a", "p1", 2, true, false),
        ]);
        assert_eq!(patient(got), ("a".into(), "p1".into(), 1));
        let got = route(&[
            plan("a", "p1", 1, false, false),
            plan("a", "p1", 5, false, false),
        ]);
        assert_eq!(patient(got), ("a".into(), "p1".into(), 5));
    }

    #[test]
    fn finished_plans_count_only_without_active_ones() {
        let got = route(&[
            plan("a", "p1", 1, false, false),
            plan("b", "p2", 2, true, false),
        ]);
        assert_eq!(patient(got), ("b".into(), "p2".into(), 2));
        let got = route(&[
            plan("a", "p1", 1, false, false),
            plan("b", "p2", 2, false, false),
        ]);
        assert_eq!(ambiguous(got).len(), 2);
        assert_eq!(route(&[]), Route::Nobody);
    }
}
