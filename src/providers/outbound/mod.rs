//! Outbound HTTP on behalf of requests: the destination policy that keeps calls
//! away from internal networks, and the guarded client that enforces it at
//! name resolution, before sending and on every redirect hop.

mod addresses;
pub mod policy;

pub use policy::{OutboundPolicy, PolicyError};
