//! Go's `time.Time`: its `MarshalBinary` layouts (version 1 and 2), RFC 3339 text, and
//! conversion from and to [`SystemTime`].

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds from 0001-01-01T00:00:00Z (Go's internal epoch) to the Unix epoch.
pub const UNIX_TO_YEAR1: i64 = 62_135_596_800;

/// A Go `time.Time` as `MarshalBinary` stores it: seconds since year 1 (UTC), nanoseconds, and
/// the zone offset. Kept in wire form so that re-marshaling reproduces the bytes exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GoTime {
    /// Seconds since 0001-01-01T00:00:00 UTC.
    pub sec: i64,
    /// Nanoseconds within the second (0..1e9).
    pub nsec: u32,
    /// Zone offset in minutes east of UTC; `-1` means UTC.
    pub offset_min: i16,
    /// Extra offset seconds (binary version 2 only). Go adds this byte unsigned.
    pub offset_sec: Option<u8>,
}

/// Go's zero `time.Time` (`0001-01-01T00:00:00Z`).
pub const ZERO_TIME: GoTime = GoTime {
    sec: 0,
    nsec: 0,
    offset_min: -1,
    offset_sec: None,
};

impl GoTime {
    /// A UTC time from a [`SystemTime`].
    pub fn from_system(t: SystemTime) -> GoTime {
        let (sec, nsec) = match t.duration_since(UNIX_EPOCH) {
            Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
            Err(e) => {
                let d = e.duration();
                let (mut s, mut n) = (-(d.as_secs() as i64), d.subsec_nanos());
                if n > 0 {
                    s -= 1;
                    n = 1_000_000_000 - n;
                }
                (s, n)
            }
        };
        GoTime {
            sec: sec.saturating_add(UNIX_TO_YEAR1),
            nsec,
            offset_min: -1,
            offset_sec: None,
        }
    }

    /// A UTC time from Unix nanoseconds.
    pub fn from_unix_nanos(ns: i64) -> GoTime {
        GoTime {
            sec: ns.div_euclid(1_000_000_000) + UNIX_TO_YEAR1,
            nsec: ns.rem_euclid(1_000_000_000) as u32,
            offset_min: -1,
            offset_sec: None,
        }
    }

    /// Whether two times are the same instant (zones aside).
    pub fn same_instant(&self, other: &GoTime) -> bool {
        (self.sec, self.nsec) == (other.sec, other.nsec)
    }

    /// Seconds since the Unix epoch.
    pub fn unix(&self) -> i64 {
        self.sec.wrapping_sub(UNIX_TO_YEAR1)
    }

    /// The same instant as a [`SystemTime`], if it can hold it.
    pub fn to_system(&self) -> Option<SystemTime> {
        let unix = self.unix();
        let secs = Duration::from_secs(unix.unsigned_abs());
        let at = if unix >= 0 {
            UNIX_EPOCH.checked_add(secs)
        } else {
            UNIX_EPOCH.checked_sub(secs)
        };
        at?.checked_add(Duration::from_nanos(u64::from(self.nsec)))
    }

    /// Whether this is UTC (offset `-1` on the wire).
    pub fn is_utc(&self) -> bool {
        self.offset_min == -1
    }

    /// Whether Go's `IsZero` would say true (gob omits such struct fields).
    pub fn is_zero(&self) -> bool {
        self.sec == 0 && self.nsec == 0 && self.is_utc()
    }

    /// Zone offset in seconds east of UTC, as Go's `UnmarshalBinary` computes it.
    pub fn offset_seconds(&self) -> i32 {
        if self.is_utc() {
            return 0;
        }
        i32::from(self.offset_min) * 60 + self.offset_sec.map_or(0, i32::from)
    }

    /// Parses `MarshalBinary` output (what `GobEncode` sends).
    pub fn unmarshal_binary(b: &[u8]) -> Result<GoTime, &'static str> {
        let (&version, rest) = b.split_first().ok_or("no data")?;
        let want = match version {
            1 => 14,
            2 => 15,
            _ => return Err("unsupported version"),
        };
        if rest.len() != want {
            return Err("invalid length");
        }
        let sec = i64::from_be_bytes(rest[0..8].try_into().expect("8 bytes"));
        let nsec = i32::from_be_bytes(rest[8..12].try_into().expect("4 bytes"));
        if !(0..1_000_000_000).contains(&nsec) {
            return Err("nanoseconds out of range");
        }
        let offset_min = i16::from_be_bytes([rest[12], rest[13]]);
        let offset_sec = (version == 2).then(|| rest[14]);
        Ok(GoTime {
            sec,
            nsec: nsec as u32,
            offset_min,
            offset_sec,
        })
    }

    /// `MarshalBinary` bytes: version 2 only when the offset has seconds, as Go does.
    pub fn marshal_binary(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(16);
        out.push(if self.offset_sec.is_some() { 2 } else { 1 });
        out.extend_from_slice(&self.sec.to_be_bytes());
        out.extend_from_slice(&(self.nsec as i32).to_be_bytes());
        out.extend_from_slice(&self.offset_min.to_be_bytes());
        if let Some(s) = self.offset_sec {
            out.push(s);
        }
        out
    }

    /// A time at `unix` seconds and `nsec`, shown at a zone `offset` seconds east of UTC (`None`
    /// for UTC). Errors if Go could not marshal that offset.
    pub fn with_offset(unix: i64, nsec: u32, offset: Option<i32>) -> Result<GoTime, String> {
        let sec = unix.checked_add(UNIX_TO_YEAR1).ok_or("time out of range")?;
        let Some(off) = offset else {
            return Ok(GoTime {
                sec,
                nsec,
                offset_min: -1,
                offset_sec: None,
            });
        };
        let min = off / 60;
        let rem = off % 60;
        if min == -1 || !(-32768..=32767).contains(&min) || rem < 0 {
            return Err(format!(
                "zone offset {off}s cannot be stored in a Go time.Time"
            ));
        }
        let offset_sec = (rem != 0).then_some(rem as u8);
        Ok(GoTime {
            sec,
            nsec,
            offset_min: min as i16,
            offset_sec,
        })
    }

    /// RFC 3339 with nanoseconds, trailing zeros trimmed, as Go's `Format(time.RFC3339Nano)`
    /// prints it (offset as `Z` when zero, else `±hh:mm`).
    pub fn rfc3339(&self) -> String {
        let mut out = Vec::with_capacity(36);
        self.write_rfc3339(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// Appends [`GoTime::rfc3339`]'s text to `out` (ASCII).
    pub fn write_rfc3339(&self, out: &mut Vec<u8>) {
        use std::io::Write as _;
        fn two(out: &mut Vec<u8>, n: u32) {
            out.extend_from_slice(&[b'0' + (n / 10 % 10) as u8, b'0' + (n % 10) as u8]);
        }
        let off = i64::from(self.offset_seconds());
        let local = i128::from(self.sec) + i128::from(off) - i128::from(UNIX_TO_YEAR1);
        let days = local.div_euclid(86_400);
        let secs = local.rem_euclid(86_400) as u32;
        let (y, m, d) = civil_from_days(days);
        match u32::try_from(y) {
            Ok(y) if y <= 9999 => {
                two(out, y / 100);
                two(out, y % 100);
            }
            _ if y < 0 => {
                let _ = write!(out, "-{:04}", -y);
            }
            _ => {
                let _ = write!(out, "{y:04}");
            }
        }
        out.push(b'-');
        two(out, m);
        out.push(b'-');
        two(out, d);
        out.push(b'T');
        two(out, secs / 3600);
        out.push(b':');
        two(out, secs / 60 % 60);
        out.push(b':');
        two(out, secs % 60);
        if self.nsec != 0 {
            let mut frac = self.nsec;
            let mut digits = 9;
            while frac.is_multiple_of(10) {
                frac /= 10;
                digits -= 1;
            }
            let _ = write!(out, ".{frac:0digits$}");
        }
        if off == 0 {
            out.push(b'Z');
        } else {
            let zone = off / 60;
            let (sign, zone) = if zone < 0 {
                (b'-', -zone)
            } else {
                (b'+', zone)
            };
            // Offsets of 100 hours and more are possible on the wire, and printed whole.
            let _ = write!(out, "{}{:02}:", sign as char, zone / 60);
            two(out, (zone % 60) as u32);
        }
    }

    /// Parses RFC 3339 (`2006-01-02T15:04:05.999999999Z07:00`). `Z` gives UTC, an explicit
    /// offset (even `+00:00`) a fixed zone, as Go's `time.Parse` does.
    pub fn parse_rfc3339(text: &str) -> Result<GoTime, String> {
        let (unix, nsec, offset) = parse_rfc3339_parts(text)?;
        GoTime::with_offset(unix, nsec, offset)
    }

    /// The instant an RFC 3339 time names, in UTC: any offset is accepted, including those a Go
    /// `time.Time` cannot keep (`-00:01`).
    pub fn parse_rfc3339_instant(text: &str) -> Result<GoTime, String> {
        let (unix, nsec, _) = parse_rfc3339_parts(text)?;
        GoTime::with_offset(unix, nsec, None)
    }
}

/// Unix seconds, nanoseconds and zone offset (`None`: `Z`) of an RFC 3339 time.
fn parse_rfc3339_parts(text: &str) -> Result<(i64, u32, Option<i32>), String> {
    let bad = || format!("invalid RFC 3339 time {text:?} (want e.g. 2030-01-02T03:04:05Z)");
    let b = text.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Result<i64, String> {
        let part = b.get(r).ok_or_else(bad)?;
        if part.iter().all(u8::is_ascii_digit) {
            Ok(part.iter().fold(0i64, |a, &c| a * 10 + i64::from(c - b'0')))
        } else {
            Err(bad())
        }
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return Err(bad());
    }
    if b[13] != b':' || b[16] != b':' {
        return Err(bad());
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return Err(bad());
    }
    if hour > 23 || min > 59 || sec > 59 {
        return Err(bad());
    }
    let mut i = 19;
    let mut nsec = 0u32;
    if b[i] == b'.' || b[i] == b',' {
        let start = i + 1;
        i = start;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let digits = &b[start..i];
        if digits.is_empty() || digits.len() > 9 {
            return Err(bad());
        }
        for k in 0..9 {
            nsec = nsec * 10 + digits.get(k).map_or(0, |&c| u32::from(c - b'0'));
        }
    }
    let offset = match &b[i..] {
        [b'Z' | b'z'] => None,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if h > 23 || m > 59 {
                return Err(bad());
            }
            let o = (h * 3600 + m * 60) as i32;
            Some(if *sign == b'-' { -o } else { o })
        }
        _ => return Err(bad()),
    };
    let unix = days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec
        - i64::from(offset.unwrap_or(0));
    Ok((unix, nsec, offset))
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01.
fn civil_from_days(z: i128) -> (i128, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}
