//! The delivery statuses of owner emails and follow-up calls, stored and shown
//! by the same names.

use serde::{Deserialize, Serialize};

macro_rules! status_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        // The same names as the per-variant renames, spelled out for the schema derive,
        // which does not read renames given through macro fragments.
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// The stored and serialized name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                match s.as_str() {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("unknown {}: {other}", stringify!($name))),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

status_enum! {
    /// Where an owner email is.
    EmailStatus {
        /// Rendered, not yet in the outbox.
        Prepared => "prepared",
        /// In the outbox, waiting for its time or for a retry.
        Scheduled => "scheduled",
        /// Handed to the SMTP server, or written to the spool.
        Sent => "sent",
        /// Given up on: a permanent error, or every attempt failed.
        Failed => "failed",
        /// Not to be sent: cancelled itself, or its delivery run was.
        Cancelled => "cancelled",
    }
}

status_enum! {
    /// Where a follow-up call is.
    CallStatus {
        /// Waiting for its time or for a retry.
        Scheduled => "scheduled",
        /// Accepted by the voice provider.
        Placed => "placed",
        /// Given up on: a permanent error, or every attempt failed.
        Failed => "failed",
        /// Due, but no voice provider is configured.
        NotConfigured => "not_configured",
        /// Not to be placed: cancelled itself, or its placement run was.
        Cancelled => "cancelled",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_stored_names() {
        for s in ["prepared", "scheduled", "sent", "failed", "cancelled"] {
            assert_eq!(EmailStatus::try_from(s.to_string()).unwrap().as_str(), s);
        }
        for s in [
            "scheduled",
            "placed",
            "failed",
            "not_configured",
            "cancelled",
        ] {
            assert_eq!(CallStatus::try_from(s.to_string()).unwrap().as_str(), s);
        }
        assert_eq!(
            serde_json::to_value(CallStatus::NotConfigured).unwrap(),
            "not_configured"
        );
        assert!(EmailStatus::try_from("delivered".to_string()).is_err());
    }
}
