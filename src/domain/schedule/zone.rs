//! A hospital's time zone. Shift and roster times are the facility's wall-clock times
//! (as the spreadsheet and Amion write them) and are stored as such; they become
//! instants, answered with their UTC offset, in the hospital's IANA zone. A wall-clock
//! time skipped by a daylight-saving change (02:30 on the spring-forward night) is read
//! as the same length of time after the change (03:30), and one that occurs twice (01:30
//! on the fall-back night) as its first occurrence.

use chrono::{DateTime, Duration, FixedOffset, LocalResult, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

/// The zone of an IANA name (`America/New_York`, `Europe/Berlin`, `UTC`); `None` for
/// anything else.
pub fn parse_zone(name: &str) -> Option<Tz> {
    name.trim().parse::<Tz>().ok()
}

/// The zone of a stored name, UTC when it is not one (it was validated on the way in).
pub fn zone_or_utc(name: &str) -> Tz {
    parse_zone(name).unwrap_or(Tz::UTC)
}

/// The instant a wall-clock time in `zone` stands for, with its offset.
pub fn instant(zone: Tz, local: NaiveDateTime) -> DateTime<FixedOffset> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(t) => t.fixed_offset(),
        LocalResult::Ambiguous(first, _) => first.fixed_offset(),
        LocalResult::None => {
            // In a gap: keep the offset in force before it, so the time moves forward
            // by the gap's length.
            let before = zone
                .offset_from_local_datetime(&(local - Duration::days(1)))
                .earliest()
                .map(|o| o.fix())
                .unwrap_or(chrono::Utc.fix());
            let utc = local - Duration::seconds(i64::from(before.local_minus_utc()));
            zone.from_utc_datetime(&utc).fixed_offset()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn at(day: u32, h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 3, day)
            .unwrap()
            .and_hms_opt(h, m, 0)
            .unwrap()
    }

    #[test]
    fn wall_clock_times_get_the_offset_in_force_on_their_day() {
        let ny = parse_zone("America/New_York").unwrap();
        assert_eq!(
            instant(ny, at(7, 7, 0)).to_rfc3339(),
            "2026-03-07T07:00:00-05:00"
        );
        assert_eq!(
            instant(ny, at(8, 7, 0)).to_rfc3339(),
            "2026-03-08T07:00:00-04:00"
        );
        assert_eq!(
            instant(Tz::UTC, at(8, 7, 0)).to_rfc3339(),
            "2026-03-08T07:00:00+00:00"
        );
    }

    #[test]
    fn a_skipped_time_moves_forward_and_a_repeated_one_is_its_first_occurrence() {
        let ny = parse_zone("America/New_York").unwrap();
        assert_eq!(
            instant(ny, at(8, 2, 30)).to_rfc3339(),
            "2026-03-08T03:30:00-04:00"
        );
        let fall_back = NaiveDate::from_ymd_opt(2026, 11, 1)
            .unwrap()
            .and_hms_opt(1, 30, 0)
            .unwrap();
        assert_eq!(
            instant(ny, fall_back).to_rfc3339(),
            "2026-11-01T01:30:00-04:00"
        );
    }

    #[test]
    fn only_iana_names_are_zones() {
        assert!(parse_zone("Europe/Berlin").is_some());
        assert!(parse_zone("UTC").is_some());
        assert!(parse_zone("Mars/Olympus_Mons").is_none());
        assert!(parse_zone("").is_none());
        assert_eq!(zone_or_utc("nonsense"), Tz::UTC);
    }
}
