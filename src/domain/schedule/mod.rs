//! Shift schedules: importing what a hospital needs from a spreadsheet, matching it to
//! who is on from the roster service, and computing how well each shift is covered.

pub mod calculate;
pub mod coverage;
pub mod import_status;
pub mod matching;
pub mod ods;
pub mod period;
pub mod staffing;
pub mod version_view;
pub mod zone;
