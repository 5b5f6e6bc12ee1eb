//! Instants and their text forms.
//!
//! Times are 100 ns ticks since the Unix epoch (the precision of Entra's 7-digit timestamps),
//! formatted by hand: it is exact, allocation-free and the hottest path after JSON itself.

use serde::{Serialize, Serializer};
use std::fmt;

/// 100 ns ticks since 1970-01-01T00:00:00Z.
pub(crate) type Tick = i64;

/// One millisecond in ticks.
pub(crate) const MILLI: Tick = 10_000;
/// One second in ticks.
pub(crate) const SECOND: Tick = 10_000_000;
/// One minute in ticks.
pub(crate) const MINUTE: Tick = 60 * SECOND;
/// One hour in ticks.
pub(crate) const HOUR: Tick = 60 * MINUTE;
/// One day in ticks.
pub(crate) const DAY: Tick = 24 * HOUR;

/// Converts a `jiff` timestamp to ticks.
pub(crate) fn from_timestamp(ts: jiff::Timestamp) -> Tick {
    // jiff's range (years -9999..=9999) fits in i64 ticks.
    (ts.as_nanosecond() / 100) as Tick
}

/// How a time is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// `2025-04-19T05:01:07.1234567Z` (Graph, diagnostic envelopes).
    Ticks,
    /// `2025-04-19T05:01:07.1234567+00:00` (directoryAudit `activityDateTime` in envelopes).
    TicksOffset,
    /// Up to 7 digits with trailing zeros dropped (Log Analytics `CreatedDateTime`).
    TicksTrim,
    /// `2025-04-19T05:01:07.123Z` (risk detections).
    Millis,
    /// Milliseconds with trailing zeros dropped (Log Analytics `TimeGenerated`).
    MillisTrim,
    /// `2025-04-19T05:01:07Z` (JSON-in-string audit values, truth windows, portal downloads).
    Seconds,
    /// Milliseconds with the hour not padded, `2025-04-19T5:01:07.123Z`: diagnostic
    /// `UserRiskEvents` write `detectedDateTime` like this (formats.md §4.3). Not RFC 3339.
    MillisLooseHour,
}

/// A time with its text form; `Display` and `Serialize` write it without allocating.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ts(pub Tick, pub Style);

/// Proleptic Gregorian date from days since the epoch (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Fills a fixed buffer left to right.
struct Buf<'a> {
    out: &'a mut [u8; 40],
    n: usize,
}

impl Buf<'_> {
    fn digits(&mut self, value: i64, width: usize) {
        let mut v = value;
        for i in (0..width).rev() {
            self.out[self.n + i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
        self.n += width;
    }

    fn byte(&mut self, b: u8) {
        self.out[self.n] = b;
        self.n += 1;
    }
}

impl Ts {
    fn write(&self, out: &mut [u8; 40]) -> usize {
        let Ts(t, style) = *self;
        let (secs, frac) = (t.div_euclid(SECOND), t.rem_euclid(SECOND));
        let (y, mo, d) = civil(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400);
        let mut b = Buf { out, n: 0 };
        b.digits(y.clamp(0, 9999), 4);
        b.byte(b'-');
        b.digits(i64::from(mo), 2);
        b.byte(b'-');
        b.digits(i64::from(d), 2);
        b.byte(b'T');
        let hour = sod / 3600;
        b.digits(hour, if style == Style::MillisLooseHour && hour < 10 { 1 } else { 2 });
        b.byte(b':');
        b.digits(sod / 60 % 60, 2);
        b.byte(b':');
        b.digits(sod % 60, 2);
        let (digits, value, trim) = match style {
            Style::Ticks | Style::TicksOffset => (7, frac, false),
            Style::TicksTrim => (7, frac, true),
            Style::Millis | Style::MillisLooseHour => (3, frac / MILLI, false),
            Style::MillisTrim => (3, frac / MILLI, true),
            Style::Seconds => (0, 0, true),
        };
        if digits > 0 && !(trim && value == 0) {
            b.byte(b'.');
            b.digits(value, digits);
            if trim {
                while b.out[b.n - 1] == b'0' {
                    b.n -= 1;
                }
            }
        }
        let suffix: &[u8] = if style == Style::TicksOffset { b"+00:00" } else { b"Z" };
        for &c in suffix {
            b.byte(c);
        }
        b.n
    }
}

impl fmt::Display for Ts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 40];
        let n = self.write(&mut buf);
        f.write_str(std::str::from_utf8(&buf[..n]).unwrap_or_default())
    }
}

impl Serialize for Ts {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 40];
        let n = self.write(&mut buf);
        s.serialize_str(std::str::from_utf8(&buf[..n]).unwrap_or_default())
    }
}

/// A time in the US form of diagnostic risk envelopes, `9/9/2022 9:54:27 AM` (UTC, whole
/// seconds, month/day/hour unpadded; formats.md §4.3).
#[derive(Clone, Copy, Debug)]
pub(crate) struct UsTime(pub Tick);

impl fmt::Display for UsTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.div_euclid(SECOND);
        let (y, m, d) = civil(secs.div_euclid(86_400));
        let sod = secs.rem_euclid(86_400);
        let hour = sod / 3600;
        let (h12, half) = match hour {
            0 => (12, "AM"),
            1..=11 => (hour, "AM"),
            12 => (12, "PM"),
            _ => (hour - 12, "PM"),
        };
        write!(f, "{m}/{d}/{y} {h12}:{:02}:{:02} {half}", sod / 60 % 60, sod % 60)
    }
}

impl Serialize for UsTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The UTC calendar fields of an instant, for text forms written field by field (syslog).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Civil {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub micros: u32,
}

/// The UTC calendar fields of `t`.
pub(crate) fn civil_of(t: Tick) -> Civil {
    let (secs, frac) = (t.div_euclid(SECOND), t.rem_euclid(SECOND));
    let (year, month, day) = civil(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400) as u32;
    Civil { year, month, day, hour: sod / 3600, minute: sod / 60 % 60, second: sod % 60, micros: (frac / 10) as u32 }
}

/// The hour of day (0–23) at `t` for a UTC offset in hours.
pub(crate) fn local_hour(t: Tick, offset_hours: i8) -> i64 {
    (t + Tick::from(offset_hours) * HOUR).div_euclid(HOUR).rem_euclid(24)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tick(s: &str) -> Tick {
        from_timestamp(s.parse().expect("test value"))
    }

    #[test]
    fn formats_match_the_sources() {
        let t = tick("2025-04-19T05:01:07.1234567Z");
        assert_eq!(Ts(t, Style::Ticks).to_string(), "2025-04-19T05:01:07.1234567Z");
        assert_eq!(Ts(t, Style::TicksOffset).to_string(), "2025-04-19T05:01:07.1234567+00:00");
        assert_eq!(Ts(t, Style::Millis).to_string(), "2025-04-19T05:01:07.123Z");
        assert_eq!(Ts(t, Style::Seconds).to_string(), "2025-04-19T05:01:07Z");
        let t = tick("2025-04-19T05:01:07.1200000Z");
        assert_eq!(Ts(t, Style::MillisTrim).to_string(), "2025-04-19T05:01:07.12Z");
        assert_eq!(Ts(t, Style::TicksTrim).to_string(), "2025-04-19T05:01:07.12Z");
        let t = tick("2025-04-19T05:01:07Z");
        assert_eq!(Ts(t, Style::MillisTrim).to_string(), "2025-04-19T05:01:07Z");
        let t = tick("2022-09-09T08:48:50.3619Z");
        assert_eq!(Ts(t, Style::MillisLooseHour).to_string(), "2022-09-09T8:48:50.361Z");
        let t = tick("2022-09-09T18:48:50Z");
        assert_eq!(Ts(t, Style::MillisLooseHour).to_string(), "2022-09-09T18:48:50.000Z");
    }

    #[test]
    fn us_times_match_the_elastic_samples() {
        assert_eq!(UsTime(tick("2022-09-09T09:54:27.739Z")).to_string(), "9/9/2022 9:54:27 AM");
        assert_eq!(UsTime(tick("2022-08-22T18:11:52.702Z")).to_string(), "8/22/2022 6:11:52 PM");
        assert_eq!(UsTime(tick("2025-04-19T00:05:00Z")).to_string(), "4/19/2025 12:05:00 AM");
        assert_eq!(UsTime(tick("2025-12-31T12:00:09Z")).to_string(), "12/31/2025 12:00:09 PM");
    }

    #[test]
    fn calendar_agrees_with_jiff() {
        let mut t = tick("1999-12-31T23:59:59.9999999Z");
        for _ in 0..5000 {
            let ours = Ts(t, Style::Ticks).to_string();
            let back: jiff::Timestamp = ours.parse().expect("test value");
            assert_eq!(from_timestamp(back), t, "{ours}");
            t += 7 * HOUR + 13 * MINUTE + 1234567;
        }
    }

    #[test]
    fn civil_fields() {
        let c = civil_of(tick("2025-04-09T05:01:07.1234567Z"));
        assert_eq!((c.year, c.month, c.day, c.hour, c.minute, c.second, c.micros), (2025, 4, 9, 5, 1, 7, 123_456));
    }

    #[test]
    fn local_hours() {
        let t = tick("2025-04-19T05:30:00Z");
        assert_eq!(local_hour(t, -4), 1);
        assert_eq!(local_hour(t, 2), 7);
        assert_eq!(local_hour(t, -7), 22);
    }
}
