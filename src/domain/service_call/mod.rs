//! Scheduled service calls: HTTP requests careflow performs at a due time on
//! behalf of operators and services (partner webhooks and the like).

mod http_parts;
pub mod redact;
pub mod request;

pub use redact::redact_headers;
pub use request::{CallBody, ServiceCallLimits, ValidServiceCall, validate};
