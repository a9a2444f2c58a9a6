//! Scheduled service calls: HTTP requests careflow performs at a due time on
//! behalf of operators and services (partner webhooks and the like), and the
//! `ServiceCall` aggregate that is the only writer of their records.

pub mod aggregate;
mod call_parts;
mod http_parts;
mod keeping;
pub mod outcome;
pub mod record;
pub mod redact;
pub mod request;
pub mod sealing;

pub use aggregate::{RecordedCall, ServiceCallError, ServiceCalls, Transition, WORKFLOW};
pub use call_parts::{CallBody, KeyHeader, ServiceCallLimits};
pub(crate) use http_parts::is_token as is_header_name;
pub use outcome::{FailureKind, FailureMeta, ResponseMeta};
pub use record::{ServiceCall, ServiceCallView, StoredHeader};
pub use redact::{is_secret_header, redact_headers};
pub use request::{ValidServiceCall, validate};
pub use sealing::{HeaderSealer, SealError};
