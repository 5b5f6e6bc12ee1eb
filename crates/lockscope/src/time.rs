//! Lenient timestamp parsing and the one way instants are written out.
//!
//! Microsoft's exports are UTC but not always ISO-8601: 0–9 fractional digits, offsets,
//! single-digit hours (`2022-09-09T8:48:50.361Z`), US `M/D/YYYY h:mm:ss AM/PM` with an optional
//! offset, a space instead of `T`, and `/Date(ms)/`. A strict RFC 3339 parser rejects real records,
//! so this module hand-parses the shapes listed in `reference/formats.md` §2.5 and §3.2.
//! Values without an offset are taken as UTC (every Microsoft cloud source is UTC).

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use serde::Serializer;

/// Parses any supported timestamp shape into a UTC instant.
pub fn parse(s: &str) -> Option<Timestamp> {
    let s = s.trim().trim_matches('"');
    if s.is_empty() {
        return None;
    }
    if let Some(ts) = parse_dotnet_date(s) {
        return Some(ts);
    }
    let b = s.as_bytes();
    // ISO-ish: starts with a 4-digit year and a dash.
    if b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' {
        return parse_iso(s);
    }
    parse_us(s)
}

/// Writes a timestamp as RFC 3339 UTC with the fractional digits it needs (none if whole).
pub fn format(ts: Timestamp) -> String {
    // jiff's Display for Timestamp prints RFC 3339 in UTC with the shortest exact fraction.
    ts.to_string()
}

/// serde helper: a timestamp as its [`format`].
pub fn serialize<S: Serializer>(ts: &Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(ts)
}

/// serde helper: an optional timestamp as its [`format`] or `null`.
pub fn serialize_opt<S: Serializer>(ts: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match ts {
        Some(ts) => s.collect_str(ts),
        None => s.serialize_none(),
    }
}

/// A small cursor over ASCII bytes.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cur<'a> {
    fn new(s: &'a str) -> Self {
        Cur { b: s.as_bytes(), i: 0 }
    }
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// Reads between `min` and `max` digits.
    fn num(&mut self, min: usize, max: usize) -> Option<i64> {
        let start = self.i;
        let mut v: i64 = 0;
        while self.i - start < max {
            match self.peek() {
                Some(c @ b'0'..=b'9') => {
                    v = v * 10 + i64::from(c - b'0');
                    self.i += 1;
                }
                _ => break,
            }
        }
        (self.i - start >= min).then_some(v)
    }
    /// Reads a fraction after a `.` or `,`: up to 9 digits kept as nanoseconds, more ignored.
    fn fraction(&mut self) -> i32 {
        if !(self.eat(b'.') || self.eat(b',')) {
            return 0;
        }
        let mut nanos: i64 = 0;
        let mut digits = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            if digits < 9 {
                nanos = nanos * 10 + i64::from(c - b'0');
                digits += 1;
            }
            self.i += 1;
        }
        for _ in digits..9 {
            nanos *= 10;
        }
        i32::try_from(nanos).unwrap_or(0)
    }
    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }
    fn rest(&self) -> &'a [u8] {
        &self.b[self.i.min(self.b.len())..]
    }
}

/// Reads an optional zone suffix: `Z`, `+hh:mm`, `+hhmm`, `+hh`, ` UTC`, or nothing. Returns the
/// offset in seconds east of UTC, or `None` if trailing bytes are not a zone.
fn zone(c: &mut Cur<'_>) -> Option<i32> {
    c.skip_spaces();
    match c.peek() {
        None => Some(0),
        Some(b'Z' | b'z') => {
            c.i += 1;
            c.rest().is_empty().then_some(0)
        }
        Some(sign @ (b'+' | b'-')) => {
            c.i += 1;
            let h = c.num(2, 2)?;
            c.eat(b':');
            let m = c.num(0, 2).unwrap_or(0);
            if !c.rest().is_empty() {
                return None;
            }
            let secs = i32::try_from(h * 3600 + m * 60).ok()?;
            Some(if sign == b'-' { -secs } else { secs })
        }
        Some(_) => {
            let rest = c.rest();
            (rest.eq_ignore_ascii_case(b"UTC") || rest.eq_ignore_ascii_case(b"GMT")).then_some(0)
        }
    }
}

#[allow(clippy::too_many_arguments)] // the civil-time parts, in reading order
fn build(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64, nanos: i32, off: i32) -> Option<Timestamp> {
    let date = Date::new(i16::try_from(y).ok()?, i8::try_from(mo).ok()?, i8::try_from(d).ok()?).ok()?;
    // Leap second 60 is folded into 59.999… so a real record is never rejected for it.
    let (s, nanos) = if s == 60 { (59, 999_999_999) } else { (s, nanos) };
    let time = Time::new(i8::try_from(h).ok()?, i8::try_from(mi).ok()?, i8::try_from(s).ok()?, nanos).ok()?;
    let dt = DateTime::from_parts(date, time);
    let utc = dt.to_zoned(jiff::tz::TimeZone::UTC).ok()?.timestamp();
    utc.checked_sub(jiff::SignedDuration::from_secs(i64::from(off))).ok()
}

/// `YYYY-MM-DD[T ]H[H]:MM[:SS[.f]][zone]`.
fn parse_iso(s: &str) -> Option<Timestamp> {
    let mut c = Cur::new(s);
    let y = c.num(4, 4)?;
    c.eat(b'-').then_some(())?;
    let mo = c.num(1, 2)?;
    c.eat(b'-').then_some(())?;
    let d = c.num(1, 2)?;
    if c.peek().is_none() {
        return build(y, mo, d, 0, 0, 0, 0, 0);
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    let h = c.num(1, 2)?;
    c.eat(b':').then_some(())?;
    let mi = c.num(2, 2)?;
    let (sec, nanos) = if c.eat(b':') { (c.num(2, 2)?, c.fraction()) } else { (0, 0) };
    let off = zone(&mut c)?;
    build(y, mo, d, h, mi, sec, nanos, off)
}

/// `M/D/YYYY h:mm[:ss[.f]] [AM|PM] [zone]`.
fn parse_us(s: &str) -> Option<Timestamp> {
    let mut c = Cur::new(s);
    let mo = c.num(1, 2)?;
    c.eat(b'/').then_some(())?;
    let d = c.num(1, 2)?;
    c.eat(b'/').then_some(())?;
    let y = c.num(4, 4)?;
    // The Log Analytics portal's CSV export writes `4/19/2025, 5:14:02.881 AM`.
    c.eat(b',');
    c.skip_spaces();
    if c.peek().is_none() {
        return build(y, mo, d, 0, 0, 0, 0, 0);
    }
    let mut h = c.num(1, 2)?;
    c.eat(b':').then_some(())?;
    let mi = c.num(2, 2)?;
    let (sec, nanos) = if c.eat(b':') { (c.num(2, 2)?, c.fraction()) } else { (0, 0) };
    c.skip_spaces();
    let rest = c.rest();
    if rest.len() >= 2 && (rest[..2].eq_ignore_ascii_case(b"AM") || rest[..2].eq_ignore_ascii_case(b"PM")) {
        let pm = rest[0].eq_ignore_ascii_case(&b'P');
        if !(1..=12).contains(&h) {
            return None;
        }
        h %= 12;
        if pm {
            h += 12;
        }
        c.i += 2;
    }
    let off = zone(&mut c)?;
    build(y, mo, d, h, mi, sec, nanos, off)
}

/// `/Date(1571875726000)/` as written by .NET's JSON serialiser (`ConvertTo-Json`).
fn parse_dotnet_date(s: &str) -> Option<Timestamp> {
    let inner = s.strip_prefix("\\/Date(").or_else(|| s.strip_prefix("/Date("))?;
    let end = inner.find(')')?;
    let digits = &inner[..end];
    // An offset suffix (`+0200`) does not change the instant: the number is UTC milliseconds.
    // The sign of a negative number is not an offset: look from the second character on (which
    // may not be byte 1, and may not exist: `/Date()/`).
    let ms_end = digits.char_indices().skip(1).find(|(_, c)| matches!(c, '+' | '-')).map_or(digits.len(), |(p, _)| p);
    let ms: i64 = digits[..ms_end].parse().ok()?;
    Timestamp::from_millisecond(ms).ok()
}

/// Parses Unix seconds given as a number or a numeric string (JWT `iat`/`exp`).
pub fn from_unix_seconds(s: &str) -> Option<Timestamp> {
    let secs: i64 = s.trim().parse().ok()?;
    Timestamp::from_second(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        parse(s).map(format).unwrap_or_else(|| "NONE".into())
    }

    #[test]
    fn every_shape_in_the_formats_reference() {
        let cases = [
            ("2020-03-13T19:15:41.6195833Z", "2020-03-13T19:15:41.6195833Z"),
            ("2019-10-18T04:45:48.0729893-05:00", "2019-10-18T09:45:48.0729893Z"),
            ("2022-09-09T8:48:50.361Z", "2022-09-09T08:48:50.361Z"),
            ("9/9/2022 9:54:27 AM", "2022-09-09T09:54:27Z"),
            ("8/22/2022 6:11:52 PM", "2022-08-22T18:11:52Z"),
            ("12/31/2022 12:00:01 AM", "2022-12-31T00:00:01Z"),
            ("12/31/2022 12:00:01 PM", "2022-12-31T12:00:01Z"),
            ("01/09/2007 09:41:00", "2007-01-09T09:41:00Z"),
            ("1/9/2007 09:41:00", "2007-01-09T09:41:00Z"),
            ("01/09/2007 09:41:00 AM", "2007-01-09T09:41:00Z"),
            ("1/9/2007 10:41:00 AM +01:00", "2007-01-09T09:41:00Z"),
            ("2007-01-09T09:41:00", "2007-01-09T09:41:00Z"),
            ("2007-01-09T09:41:00.22Z", "2007-01-09T09:41:00.22Z"),
            ("2007-01-09T09:41:00.535404056Z", "2007-01-09T09:41:00.535404056Z"),
            ("2007-01-09T09:41:00.992099+00:00", "2007-01-09T09:41:00.992099Z"),
            ("2007-01-09T11:41:00+02:00", "2007-01-09T09:41:00Z"),
            ("2025-04-19 05:12:31Z", "2025-04-19T05:12:31Z"),
            ("2025-04-19T05:01:07Z", "2025-04-19T05:01:07Z"),
            ("2025-04-19T05:01:07.1234567891Z", "2025-04-19T05:01:07.123456789Z"),
            ("2025-04-19", "2025-04-19T00:00:00Z"),
            ("/Date(1571875726000)/", "2019-10-24T00:08:46Z"),
            ("2025-04-19T05:01:07+0200", "2025-04-19T03:01:07Z"),
            ("4/19/2025, 5:14:02.881 AM", "2025-04-19T05:14:02.881Z"),
        ];
        for (input, want) in cases {
            assert_eq!(p(input), want, "input {input:?}");
        }
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for bad in [
            "",
            "null",
            "2025-13-01T00:00:00Z",
            "13/40/2022 1:00:00 PM",
            "2025-04-19T25:00Z",
            "x",
            "2025-04-19T05:01:07Zjunk",
            "0/0/0",
            "/Date(abc)/",
            "9999999-01-01",
        ] {
            assert!(parse(bad).is_none(), "{bad:?} parsed");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(s in ".{0,40}") {
            let _ = parse(&s);
        }

        #[test]
        fn round_trips_rfc3339(secs in 0i64..4_000_000_000, nanos in 0i32..1_000_000_000) {
            let ts = Timestamp::new(secs, nanos).expect("in range");
            proptest::prop_assert_eq!(parse(&format(ts)), Some(ts));
        }
    }
}
