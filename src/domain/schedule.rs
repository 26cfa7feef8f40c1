//! When daily and weekly digests fall due: 08:00 every day, or Mondays at 08:00, in the
//! configured time zone.

use chrono::{Datelike, Duration, NaiveDateTime, NaiveTime, TimeZone, Weekday};
use chrono_tz::Tz;

use super::Frequency;

/// The local hour at which daily and weekly digests go out.
pub const DIGEST_HOUR: u32 = 8;

/// The latest scheduled time (UTC) at or before `now` (UTC) for this frequency; `None` for
/// immediate digests, which are due whenever something changed.
pub fn last_slot(freq: Frequency, tz: Tz, now: NaiveDateTime) -> Option<NaiveDateTime> {
    if freq == Frequency::Immediate {
        return None;
    }
    let local_now = tz.from_utc_datetime(&now).naive_local();
    let at = NaiveTime::from_hms_opt(DIGEST_HOUR, 0, 0).expect("valid time");
    let mut day = local_now.date();
    for _ in 0..16 {
        let fits = freq == Frequency::Daily || day.weekday() == Weekday::Mon;
        if fits {
            let local = day.and_time(at);
            // A skipped hour (DST gap) moves the slot one hour later.
            let utc = tz
                .from_local_datetime(&local)
                .earliest()
                .or_else(|| {
                    tz.from_local_datetime(&(local + Duration::hours(1)))
                        .earliest()
                })
                .map(|t| t.naive_utc());
            if let Some(utc) = utc.filter(|u| *u <= now) {
                return Some(utc);
            }
        }
        day = day.pred_opt()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        s.parse().unwrap()
    }

    #[test]
    fn daily_is_the_latest_8am_local() {
        let utc = chrono_tz::UTC;
        assert_eq!(
            last_slot(Frequency::Daily, utc, t("2026-11-23T09:00:00")),
            Some(t("2026-11-23T08:00:00"))
        );
        assert_eq!(
            last_slot(Frequency::Daily, utc, t("2026-11-23T07:59:00")),
            Some(t("2026-11-22T08:00:00"))
        );
        let ny = chrono_tz::America::New_York;
        assert_eq!(
            last_slot(Frequency::Daily, ny, t("2026-11-23T14:00:00")),
            Some(t("2026-11-23T13:00:00"))
        );
        assert_eq!(
            last_slot(Frequency::Immediate, ny, t("2026-11-23T14:00:00")),
            None
        );
    }

    #[test]
    fn weekly_is_the_latest_monday_8am() {
        // 2026-11-23 is a Monday.
        let utc = chrono_tz::UTC;
        assert_eq!(
            last_slot(Frequency::Weekly, utc, t("2026-11-25T12:00:00")),
            Some(t("2026-11-23T08:00:00"))
        );
        assert_eq!(
            last_slot(Frequency::Weekly, utc, t("2026-11-23T07:00:00")),
            Some(t("2026-11-16T08:00:00"))
        );
    }
}
