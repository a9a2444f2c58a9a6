//! A task's short reference, the name nurses quote by SMS and on the phone: `T-` and
//! the task's number in its tenant (`T-0042`), counted from 1 per tenant when the task
//! is stored, so two tasks of one tenant never share it. A UUID prefix would not do:
//! tasks created in the same few seconds share their UUIDv7 timestamp prefix.

use uuid::Uuid;

/// The reference of the task numbered `number` in its tenant; without a number (a
/// store that never gave one), the first eight characters of its id.
pub fn task_reference(number: Option<i64>, task_id: Uuid) -> String {
    match number {
        Some(n) => format!("T-{n:04}"),
        None => task_id.to_string()[..8].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_the_tenant_number_padded_to_four_digits() {
        let id = Uuid::nil();
        assert_eq!(task_reference(Some(7), id), "T-0007");
        assert_eq!(task_reference(Some(12345), id), "T-12345");
        assert_eq!(task_reference(None, id), "00000000");
    }
}
