//! Outbound HTTP on behalf of requests: the destination policy that keeps calls
//! away from internal networks, and the guarded client that enforces it at
//! name resolution, before sending and on every redirect hop.

mod addresses;
pub mod client;
pub mod error;
mod guard;
pub mod policy;
pub mod response;

pub use client::{GuardedClient, OutboundRequest, OutboundSettings};
pub use error::{OutboundError, OutboundErrorKind};
pub use policy::{OutboundPolicy, PolicyError};
pub use response::OutboundResponse;
