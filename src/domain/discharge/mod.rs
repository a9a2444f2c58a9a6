//! The discharge workflow's domain: the case a clinic sends (typed, validated or
//! extracted from free text), the owner-facing summary, and the owner's email.
//! Pure code: no database, no engine, no network.

pub mod case;
pub mod email;
pub mod extract;
mod parse;
pub mod summary;
mod validate;
