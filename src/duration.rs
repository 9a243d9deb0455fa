//! Durations and times typed on the command line.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::error::{Error, Result};

const UNITS: &str = "units: ns, us, ms, s, m (minutes), h, d (days), w (weeks), M (months), y (years); e.g. 30s, 5m, 1h 30m, 7days";

/// A duration typed on the command line, as clap's value parser for `DURATION` arguments
/// returns it. The text is kept for the months warning, which the command prints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagDuration {
    /// The duration.
    pub duration: Duration,
    text: String,
}

impl FlagDuration {
    /// The text it was read from.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The warning to print when the text used months (`M`), which are easy to confuse with
    /// minutes (`m`): it says how long they are.
    pub fn months_warning(&self, flag: &str) -> Option<String> {
        uses_months(self.text.trim()).then(|| {
            format!(
                "{flag} {:?} is read as months ('M'; minutes are 'm'): {}",
                self.text,
                describe_days(self.duration)
            )
        })
    }
}

/// clap's value parser for durations in humantime syntax (`30s`, `5m`, `1h 30m`, `7days`). A
/// bare number or a negative duration is refused with a message that lists the units, and so
/// becomes a usage error; months are accepted (see [`FlagDuration::months_warning`]).
pub fn parse_flag(text: &str) -> std::result::Result<FlagDuration, String> {
    let trimmed = text.trim();
    if trimmed.starts_with('-') {
        return Err(format!("a duration cannot be negative ({UNITS})"));
    }
    if !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return Err(format!("a number needs a unit ({UNITS})"));
    }
    let duration = humantime::parse_duration(trimmed).map_err(|e| {
        // humantime lists its units too ("…, supported units: ns, us, …"); say them once.
        let e = e.to_string();
        let e = e.split(", supported units").next().unwrap_or_default();
        format!("{e} ({UNITS})")
    })?;
    Ok(FlagDuration {
        duration,
        text: text.to_owned(),
    })
}

/// The shortest `watch-cleanup --interval`: shorter would make the daemon a busy loop of empty
/// passes (and their log lines) against the database.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);

/// clap's value parser for `--interval`: a duration (see [`parse_flag`]) of at least
/// [`MIN_INTERVAL`].
pub fn parse_interval(text: &str) -> std::result::Result<FlagDuration, String> {
    let parsed = parse_flag(text)?;
    if parsed.duration < MIN_INTERVAL {
        return Err(format!(
            "too short: the minimum is {}",
            humantime::format_duration(MIN_INTERVAL)
        ));
    }
    Ok(parsed)
}

fn describe_days(duration: Duration) -> String {
    let days = duration.as_secs_f64() / 86_400.0;
    format!("about {} days", days.round() as u64)
}

fn uses_months(text: &str) -> bool {
    let mut rest = text;
    while !rest.is_empty() {
        let unit_start = rest
            .find(|c: char| !(c.is_ascii_digit() || c.is_whitespace()))
            .unwrap_or(rest.len());
        rest = &rest[unit_start..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c.is_whitespace())
            .unwrap_or(rest.len());
        if matches!(&rest[..unit_end], "M" | "month" | "months") {
            return true;
        }
        rest = &rest[unit_end..];
    }
    false
}

/// Parses an RFC 3339 time (`2026-11-25T20:30:00Z`, `2026-11-25T21:30:00+01:00`) from 1970 to
/// 9999 (UTC).
pub fn parse_time(flag: &str, text: &str) -> Result<SystemTime> {
    let parsed = crate::gob::GoTime::parse_rfc3339_instant(text.trim());
    parsed
        .ok()
        .and_then(|t| t.to_system())
        .filter(|t| (UNIX_EPOCH..max_formatted()).contains(t))
        .ok_or_else(|| {
            Error::Usage(format!(
                "invalid value {text:?} for {flag}: expected an RFC 3339 time from 1970 to 9999 such as 2026-11-25T20:30:00Z"
            ))
        })
}

/// 10000-01-01T00:00:00Z, the first instant [`rfc3339_micros`] needs five digits of year for.
fn max_formatted() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(253_402_300_800)
}

/// A short relative form of `target` seen from `now`: `in 23m`, `5h ago`, `now`; `never` for
/// `infinity` and `always` for `-infinity`.
pub fn relative(target: SystemTime, now: SystemTime) -> String {
    match pg_infinity(target) {
        Some("infinity") => return "never".into(),
        Some(_) => return "always".into(),
        None => {}
    }
    let (span, future) = match target.duration_since(now) {
        Ok(d) => (d, true),
        Err(e) => (e.duration(), false),
    };
    let secs = span.as_secs();
    let text = if secs < 1 {
        return "now".into();
    } else if secs < 60 {
        format!("{secs}s")
    } else if secs < 3600 {
        format!("{}m", secs / 60)
    } else if secs < 86_400 {
        let (h, m) = (secs / 3600, secs % 3600 / 60);
        if m == 0 || h >= 10 {
            format!("{h}h")
        } else {
            format!("{h}h{m}m")
        }
    } else {
        let (d, h) = (secs / 86_400, secs % 86_400 / 3600);
        if h == 0 || d >= 10 {
            format!("{d}d")
        } else {
            format!("{d}d{h}h")
        }
    };
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// PostgreSQL's `infinity` and `-infinity`, as the driver hands them over: the time that many
/// microseconds (`i64::MAX`, `i64::MIN`) from PostgreSQL's epoch, 2000-01-01.
fn pg_infinity(t: SystemTime) -> Option<&'static str> {
    const PG_EPOCH_UNIX_SECS: u64 = 946_684_800;
    let pg_epoch = UNIX_EPOCH + Duration::from_secs(PG_EPOCH_UNIX_SECS);
    let micros = i64::MAX as u64;
    if t == pg_epoch + Duration::from_micros(micros) {
        Some("infinity")
    } else if pg_epoch
        .checked_sub(Duration::from_micros(micros + 1))
        .is_some_and(|minus| t == minus)
    {
        Some("-infinity")
    } else {
        None
    }
}

/// Formats a time as UTC RFC 3339 with microseconds (PostgreSQL's precision). A row may hold
/// any time PostgreSQL does: those before 1970 or after 9999 (which humantime refuses) are
/// written as Go writes them, and `infinity` and `-infinity` as PostgreSQL does.
pub fn rfc3339_micros(t: SystemTime) -> String {
    if let Some(name) = pg_infinity(t) {
        return name.to_owned();
    }
    if (UNIX_EPOCH..max_formatted()).contains(&t) {
        return humantime::format_rfc3339_micros(t).to_string();
    }
    let mut go = crate::gob::GoTime::from_system(t);
    go.nsec -= go.nsec % 1_000;
    go.rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn infinities_are_named() {
        let pg_epoch = UNIX_EPOCH + Duration::from_secs(946_684_800);
        let inf = pg_epoch + Duration::from_micros(i64::MAX as u64);
        let neg = pg_epoch - Duration::from_micros(i64::MAX as u64 + 1);
        assert_eq!(rfc3339_micros(inf), "infinity");
        assert_eq!(rfc3339_micros(neg), "-infinity");
        assert_eq!(relative(inf, UNIX_EPOCH), "never");
        assert_eq!(relative(neg, UNIX_EPOCH), "always");
        assert_eq!(rfc3339_micros(pg_epoch), "2000-01-01T00:00:00.000000Z");
    }

    #[test]
    fn durations() {
        assert_eq!(
            parse_flag("1h 30m").unwrap().duration,
            Duration::from_secs(5400)
        );
        assert_eq!(parse_flag("5m").unwrap().months_warning("--ttl"), None);
        let warning = parse_flag("5M").unwrap().months_warning("--ttl").unwrap();
        assert!(
            warning.starts_with("--ttl \"5M\" is read as months") && warning.contains("152 days"),
            "{warning}"
        );
        for bad in ["30", "-5m", "", "5 parsecs", "1.5"] {
            let err = parse_flag(bad).unwrap_err();
            assert!(err.contains("units"), "{bad}: {err}");
            // One list of units, not humantime's and ours.
            assert_eq!(err.matches("units").count(), 1, "{bad}: {err}");
        }
        assert!(parse_interval("100ms").is_ok());
        let err = parse_interval("99ms").unwrap_err();
        assert!(err.contains("the minimum is 100ms"), "{err}");
    }

    #[test]
    fn any_time_a_row_can_hold_is_formatted() {
        assert_eq!(
            rfc3339_micros(UNIX_EPOCH + Duration::from_nanos(1_500_001_234)),
            "1970-01-01T00:00:01.500001Z"
        );
        assert_eq!(
            rfc3339_micros(UNIX_EPOCH - Duration::from_nanos(500_000_999)),
            "1969-12-31T23:59:59.499999Z"
        );
        assert_eq!(
            rfc3339_micros(UNIX_EPOCH - Duration::from_secs(62_135_596_800)),
            "0001-01-01T00:00:00Z"
        );
        assert_eq!(
            rfc3339_micros(max_formatted() + Duration::from_secs(86_400)),
            "10000-01-02T00:00:00Z"
        );
    }

    #[test]
    fn times_with_offsets() {
        let z = parse_time("--expires-at", "2026-11-25T20:30:00Z").unwrap();
        let plus = parse_time("--expires-at", "2026-11-25T21:30:00+01:00").unwrap();
        let minus = parse_time("--expires-at", "2026-11-25T15:00:00-05:30").unwrap();
        assert_eq!(z, plus);
        assert_eq!(z, minus);
        let frac = parse_time("--expires-at", " 2026-11-25 21:30:00.25+01:00 ").unwrap();
        assert_eq!(frac, z + Duration::from_millis(250));
        let odd_zone = parse_time("--expires-at", "2026-11-25T20:29:00-00:01").unwrap();
        assert_eq!(odd_zone, z);
        // Only times rfc3339_micros writes the usual way: 1970 to 9999, in UTC.
        for out_of_range in [
            "1969-12-31T23:59:59.5Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59-01:00",
        ] {
            assert!(
                parse_time("--expires-at", out_of_range).is_err(),
                "{out_of_range}"
            );
        }
        assert!(parse_time("--expires-at", "9999-12-31T23:59:59Z").is_ok());
        assert!(parse_time("--expires-at", "2026-11-25T20:30:00").is_err());
        assert!(parse_time("--expires-at", "2026-02-30T20:30:00Z").is_err());
        assert!(parse_time("--expires-at", "tomorrow").is_err());
        assert!(parse_time("--expires-at", "2026-11-25").is_err());
    }

    #[test]
    fn relative_times() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert_eq!(
            relative(now + Duration::from_secs(23 * 60 + 5), now),
            "in 23m"
        );
        assert_eq!(relative(now - Duration::from_secs(5 * 3600), now), "5h ago");
        assert_eq!(
            relative(now + Duration::from_secs(90 * 60), now),
            "in 1h30m"
        );
        assert_eq!(relative(now, now), "now");
        assert_eq!(
            relative(now + Duration::from_secs(3 * 86_400), now),
            "in 3d"
        );
    }
}
