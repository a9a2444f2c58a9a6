//! The discharge workflow's domain: the case a clinic sends (typed, validated or
//! extracted from free text), the owner-facing summary, the owner's email, and the
//! follow-up call's script.
//! Pure code: no database, no engine, no network.

pub mod call;
pub mod case;
mod contact;
pub mod email;
pub mod extract;
pub mod intake;
mod parse;
pub mod phone;
pub mod summary;
mod validate;
