//! A run's priority: claims take higher priorities first. Only the bounds and the
//! parsing live here; the order itself is the store's claim.

use serde_json::Value;

/// How urgent a run is, from [`Priority::MIN`] to [`Priority::MAX`]; higher is
/// claimed first. Runs without one get [`Priority::DEFAULT`], the middle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Priority(i16);

impl Priority {
    /// The lowest priority.
    pub const MIN: i16 = 1;
    /// The highest priority.
    pub const MAX: i16 = 9;
    /// What a run gets when its submission names none.
    pub const DEFAULT: Priority = Priority(5);

    /// The priority `n`, when within bounds.
    pub fn new(n: i64) -> Option<Self> {
        (i64::from(Self::MIN)..=i64::from(Self::MAX))
            .contains(&n)
            .then_some(Priority(n as i16))
    }

    /// Reads the `priority` field of a request: absent or `null` is the default;
    /// anything but an integer within bounds is a problem, described.
    pub fn from_field(value: Option<&Value>) -> Result<Self, String> {
        match value {
            None | Some(Value::Null) => Ok(Self::DEFAULT),
            Some(v) => v.as_i64().and_then(Self::new).ok_or_else(|| {
                format!(
                    "must be an integer from {} (lowest) to {} (highest)",
                    Self::MIN,
                    Self::MAX
                )
            }),
        }
    }

    /// The number, as stored.
    pub fn get(self) -> i16 {
        self.0
    }
}

impl Default for Priority {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn absent_or_null_is_the_middle() {
        assert_eq!(Priority::from_field(None), Ok(Priority::DEFAULT));
        assert_eq!(Priority::from_field(Some(&json!(null))), Ok(Priority(5)));
    }

    #[test]
    fn bounds_are_inclusive() {
        assert_eq!(
            Priority::from_field(Some(&json!(1))).map(Priority::get),
            Ok(1)
        );
        assert_eq!(
            Priority::from_field(Some(&json!(9))).map(Priority::get),
            Ok(9)
        );
    }

    #[test]
    fn out_of_bounds_and_non_integers_are_refused() {
        for bad in [
            json!(0),
            json!(10),
            json!(-3),
            json!(2.5),
            json!("7"),
            json!(true),
        ] {
            assert!(Priority::from_field(Some(&bad)).is_err(), "{bad} was taken");
        }
    }
}
