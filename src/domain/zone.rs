//! Time as people read it: a campaign's time zone (an IANA name) and the ways its times are
//! written on pages, in emails and in form inputs. Times are stored in UTC.

use chrono::{Datelike, LocalResult, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use super::InvalidInput;

/// An IANA time zone ("America/New_York").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

/// The zones offered first in forms: the United States' and its territories', then UTC.
pub const COMMON: [&str; 11] = [
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
    "Pacific/Guam",
    "Pacific/Pago_Pago",
    "UTC",
];

impl Zone {
    /// Reads an IANA zone name; surrounding spaces are ignored.
    pub fn parse(s: &str) -> Result<Zone, InvalidInput> {
        let s = s.trim();
        if s.is_empty() {
            return Err(InvalidInput::new("is required"));
        }
        s.parse::<Tz>().map(Zone).map_err(|_| {
            InvalidInput::new(format!(
                "is not a time zone; use an IANA name such as America/New_York or Europe/Berlin, not {s:?}"
            ))
        })
    }

    /// An optional zone: empty (or only spaces) is `None`.
    pub fn optional(s: &str) -> Result<Option<Zone>, InvalidInput> {
        if s.trim().is_empty() {
            Ok(None)
        } else {
            Zone::parse(s).map(Some)
        }
    }

    /// The zone of a chrono-tz zone (`DIGEST_TIMEZONE`, read by the configuration).
    pub fn of(tz: Tz) -> Zone {
        Zone(tz)
    }

    /// UTC.
    pub fn utc() -> Zone {
        Zone(chrono_tz::UTC)
    }

    /// The IANA name.
    pub fn as_str(&self) -> &'static str {
        self.0.name()
    }

    /// The chrono-tz zone.
    pub fn tz(&self) -> Tz {
        self.0
    }

    /// "Sun 6 Dec, 6:00 pm EST" (the year added when it is not the year of `now`; the time
    /// left out for an all-day time, stored as local midnight).
    pub fn when(&self, utc: NaiveDateTime, now: NaiveDateTime) -> String {
        let local = self.0.from_utc_datetime(&utc);
        let same_year = local.year() == self.0.from_utc_datetime(&now).year();
        let day = if same_year {
            local.format("%a %-d %b").to_string()
        } else {
            local.format("%a %-d %b %Y").to_string()
        };
        if local.time() == chrono::NaiveTime::MIN {
            return day;
        }
        let hour = local.format("%-I:%M %P").to_string();
        format!("{day}, {hour} {}", local.format("%Z"))
    }

    /// "6 Dec 2026", the date in this zone.
    pub fn day(&self, utc: NaiveDateTime) -> String {
        self.0
            .from_utc_datetime(&utc)
            .format("%-d %b %Y")
            .to_string()
    }

    /// The local time for a `datetime-local` input: "2026-12-06T18:00".
    pub fn input(&self, utc: NaiveDateTime) -> String {
        self.0
            .from_utc_datetime(&utc)
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    }

    /// The UTC instant of a local wall time. A time skipped by a clock change moves on by
    /// the gap; a time that happens twice is taken the first time.
    pub fn to_utc(&self, local: NaiveDateTime) -> NaiveDateTime {
        match self.0.from_local_datetime(&local) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.naive_utc(),
            LocalResult::None => self
                .0
                .from_local_datetime(&(local + chrono::Duration::hours(1)))
                .earliest()
                .map_or(local, |t| t.naive_utc()),
        }
    }
}

impl std::fmt::Display for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Zone {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Zone, InvalidInput> {
        Zone::parse(s)
    }
}

impl serde::Serialize for Zone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Reads what [`Zone`]'s `Serialize` writes (an exported site's campaigns).
impl<'de> serde::Deserialize<'de> for Zone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Zone, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Zone::parse(&s).map_err(|e| serde::de::Error::custom(format!("{s:?} {}", e.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn times_read_in_the_zone_with_its_abbreviation() {
        let ny = Zone::parse(" America/New_York ").unwrap();
        let now = t("2026-12-04 12:00");
        assert_eq!(
            ny.when(t("2026-12-06 23:00"), now),
            "Sun 6 Dec, 6:00 pm EST"
        );
        assert_eq!(
            ny.when(t("2026-06-30 14:30"), now),
            "Tue 30 Jun, 10:30 am EDT"
        );
        assert_eq!(
            ny.when(t("2018-06-30 14:00"), now),
            "Sat 30 Jun 2018, 10:00 am EDT"
        );
        assert_eq!(ny.when(t("2026-12-07 05:00"), now), "Mon 7 Dec");
        assert_eq!(ny.day(t("2026-12-07 03:00")), "6 Dec 2026");
        assert_eq!(
            Zone::utc().when(t("2026-12-06 23:00"), now),
            "Sun 6 Dec, 11:00 pm UTC"
        );
    }

    #[test]
    fn local_inputs_round_trip_and_clock_changes_are_decided() {
        let ny = Zone::parse("America/New_York").unwrap();
        let utc = t("2026-12-06 23:00");
        assert_eq!(ny.input(utc), "2026-12-06T18:00");
        assert_eq!(ny.to_utc(t("2026-12-06 18:00")), utc);
        // 2:30 am on 8 March 2026 does not exist in New York: 3:30 EDT.
        assert_eq!(ny.to_utc(t("2026-03-08 02:30")), t("2026-03-08 07:30"));
        // 1:30 am on 1 November 2026 happens twice: the first, EDT.
        assert_eq!(ny.to_utc(t("2026-11-01 01:30")), t("2026-11-01 05:30"));
    }

    #[test]
    fn only_iana_names_are_zones() {
        assert!(Zone::parse("Europe/Berlin").is_ok());
        for bad in ["", "EST5EDT6", "Mars/Olympus", "New York"] {
            assert!(Zone::parse(bad).is_err(), "{bad}");
        }
    }
}
