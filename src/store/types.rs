//! Ids and states shared by the store and the engine.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A tenant: every row of tenant data belongs to exactly one.
#[derive(
    Debug,
    Clone,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    sqlx::Type,
    utoipa::ToSchema,
)]
#[serde(transparent)]
#[sqlx(transparent)]
#[schema(value_type = String, pattern = "^[A-Za-z0-9._-]{1,64}$", example = "clinic-7")]
pub struct TenantId(String);

impl TenantId {
    /// Accepts 1-64 characters of letters, digits, `-`, `_` and `.`.
    pub fn parse(value: &str) -> Result<Self, String> {
        let ok = !value.is_empty()
            && value.len() <= 64
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
        if ok {
            Ok(Self(value.to_string()))
        } else {
            Err("a tenant id is 1-64 letters, digits, '-', '_' or '.'".into())
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A run's id: a UUID v7, so ids sort by creation time.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    sqlx::Type,
    utoipa::ToSchema,
)]
#[serde(transparent)]
#[sqlx(transparent)]
#[schema(value_type = uuid::Uuid)]
pub struct RunId(pub Uuid);

impl RunId {
    /// A fresh, time-ordered id.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }
}

impl Default for RunId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for RunId {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Self)
    }
}

macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        // The schema follows the serde names, so the API description lists the
        // values the JSON carries.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "lowercase")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// The stored and serialized name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("unknown {}: {other}", stringify!($name))),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// Where a run is in its life.
    RunStatus {
        /// Waiting for a replica to claim it.
        Queued => "queued",
        /// Held by a replica that executes its steps.
        Running => "running",
        /// Parked until a timer is due; holds no worker.
        Sleeping => "sleeping",
        /// Parked until an event arrives or a timeout; holds no worker.
        Waiting => "waiting",
        /// Every step ended and no critical step failed.
        Completed => "completed",
        /// A critical step failed (or any step, with `stopOnError`).
        Failed => "failed",
        /// Cancelled on request.
        Cancelled => "cancelled",
        /// Shown for an unfinished run asked to pause and parked since; never
        /// stored (the run keeps its status and a pause flag).
        Paused => "paused",
    }
}

impl RunStatus {
    /// True for `completed`, `failed` and `cancelled`.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RunStatus::Completed | RunStatus::Failed | RunStatus::Cancelled
        )
    }
}

text_enum! {
    /// Where a step of a run is.
    StepStatus {
        /// Not started; its dependencies are not all complete.
        Pending => "pending",
        /// An attempt is under way (or was, when its holder died).
        Running => "running",
        /// Parked on a timer or an event.
        Sleeping => "sleeping",
        /// Finished successfully; never runs again.
        Completed => "completed",
        /// Failed for good (attempts exhausted or a permanent error).
        Failed => "failed",
        /// Not run: disabled, or a dependency did not complete.
        Skipped => "skipped",
    }
}

impl StepStatus {
    /// True for `completed`, `failed` and `skipped`.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            StepStatus::Completed | StepStatus::Failed | StepStatus::Skipped
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_ids_refuse_separators_and_empty_names() {
        assert!(TenantId::parse("clinic-7.north_2").is_ok());
        assert!(TenantId::parse("").is_err());
        assert!(TenantId::parse("a:b").is_err());
        assert!(TenantId::parse(&"x".repeat(65)).is_err());
    }

    #[test]
    fn statuses_round_trip_through_their_stored_names() {
        for s in [
            "queued",
            "running",
            "sleeping",
            "waiting",
            "completed",
            "failed",
            "cancelled",
        ] {
            assert_eq!(s.parse::<RunStatus>().unwrap().as_str(), s);
        }
        assert!("done".parse::<StepStatus>().is_err());
    }
}
