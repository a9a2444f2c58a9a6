//! Shift schedules: importing what a hospital needs from a spreadsheet, matching it to
//! who is on from the roster service, and computing how well each shift is covered.

pub mod coverage;
pub mod matching;
pub mod ods;
