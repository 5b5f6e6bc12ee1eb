//! The year of RFC 3164 timestamps, which do not carry one (`reference/formats.md` §8.1).
//!
//! Lines are numbered with a *year offset* while reading: it goes up by one when the month goes
//! backwards by two months or more (`Dec` → `Jan`: the year rolled over). A step back of one
//! month is taken as lines written out of order around a month boundary, not as a new year; a
//! jump forward of ten months or more right after a rollover (`Jan` → `Dec`) is a late line of the
//! old year. At the end the base year is chosen, first match wins:
//!
//! 1. the year the user gave (`--year`): the year of the first line;
//! 2. a year written in the file (an ISO or RFC 5424 line, a ctime stamp): the nearest line
//!    without a year before (or else after) it is placed in the same year or next to it;
//! 3. the file's modification time: the last line is the latest one not after it;
//! 4. the current date, the same way.

use jiff::Timestamp;

/// Where the base year came from, for the report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum YearSource {
    /// `--year`.
    User,
    /// A line of the file with a full date.
    InFile,
    /// The file's modification time.
    Modified,
    /// The clock.
    Now,
}

impl YearSource {
    /// How the report says it.
    pub fn describe(self) -> &'static str {
        match self {
            YearSource::User => "given with --year",
            YearSource::InFile => "taken from a line of the file that carries a full date",
            YearSource::Modified => "taken from the file's modification time",
            YearSource::Now => "taken from the current date (no other clue; pass --year to set it)",
        }
    }
}

/// The first line with a full date, and the yearless lines around it.
#[derive(Debug, Clone, Copy)]
struct Anchor {
    year: i16,
    month: i8,
    /// Offset and month of the last yearless line before it.
    before: Option<(i32, i8)>,
}

/// Tracks year offsets of yearless lines and the clues to the base year.
#[derive(Debug, Default)]
pub(super) struct Years {
    /// The month of the last yearless line that moved the calendar (not a straggler).
    month: Option<i8>,
    offset: i32,
    rollovers: u32,
    anchor: Option<Anchor>,
    first_month: Option<i8>,
    /// Offset, month and day of the last yearless line.
    last: Option<(i32, i8, i8)>,
}

impl Years {
    /// The year offset of a yearless line dated `month`/`day`.
    pub fn civil(&mut self, month: i8, day: i8) -> i32 {
        let offset = match self.month {
            None => {
                self.first_month = Some(month);
                self.month = Some(month);
                self.offset
            }
            Some(prev) if month + 2 <= prev => {
                self.offset += 1;
                self.rollovers += 1;
                self.month = Some(month);
                self.offset
            }
            Some(prev) if month >= prev + 10 && self.rollovers > 0 => self.offset - 1,
            Some(_) => {
                self.month = Some(month);
                self.offset
            }
        };
        self.last = Some((offset, month, day));
        offset
    }

    /// A line with a full date written in `year`/`month`.
    pub fn absolute(&mut self, year: i16, month: i8) {
        if self.anchor.is_none() {
            let before = self.month.map(|m| (self.offset, m));
            self.anchor = Some(Anchor { year, month, before });
        }
    }

    /// How many times the year rolled over.
    pub fn rollovers(&self) -> u32 {
        self.rollovers
    }

    /// Whether any yearless line was seen.
    pub fn any(&self) -> bool {
        self.last.is_some()
    }

    /// The year of offset 0 and where it came from.
    pub fn base(&self, user: Option<i16>, modified: Option<Timestamp>) -> (i16, YearSource) {
        if let Some(y) = user {
            return (y, YearSource::User);
        }
        if let Some(a) = self.anchor {
            let base = match (a.before, self.first_month) {
                (Some((offset, m)), _) => i32::from(a.year) - i32::from(m > a.month) - offset,
                (None, Some(first)) => i32::from(a.year) + i32::from(first < a.month),
                (None, None) => i32::from(a.year),
            };
            return (clamp(base), YearSource::InFile);
        }
        let (at, source) = match modified {
            Some(t) => (t, YearSource::Modified),
            None => (Timestamp::now(), YearSource::Now),
        };
        let date = at.to_zoned(jiff::tz::TimeZone::UTC).date();
        let base = match self.last {
            Some((offset, m, d)) => {
                let later = (m, d) > (date.month(), date.day());
                i32::from(date.year()) - i32::from(later) - offset
            }
            None => i32::from(date.year()),
        };
        (clamp(base), source)
    }
}

fn clamp(y: i32) -> i16 {
    i16::try_from(y.clamp(1, 9999)).unwrap_or(1970)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("timestamp")
    }

    #[test]
    fn rollover_and_disorder() {
        let mut y = Years::default();
        let offsets: Vec<i32> = [(12, 30), (12, 31), (1, 1), (12, 31), (1, 2), (2, 1), (1, 31), (2, 2)]
            .iter()
            .map(|&(m, d)| y.civil(m, d))
            .collect();
        // Dec → Jan rolls over; a late Dec line stays in the old year; Feb → Jan is disorder.
        assert_eq!(offsets, [0, 0, 1, 0, 1, 1, 1, 1]);
        assert_eq!(y.rollovers(), 1);
        assert_eq!(y.base(Some(2023), None), (2023, YearSource::User));
    }

    #[test]
    fn out_of_order_days_in_one_month_never_roll() {
        let mut y = Years::default();
        for d in [21, 23, 21, 20, 21, 19, 23, 24, 22, 22] {
            assert_eq!(y.civil(2, d), 0);
        }
    }

    #[test]
    fn base_from_a_dated_line() {
        // Yearless Dec lines, then an ISO line in Jan 2025: the Dec lines are 2024.
        let mut y = Years::default();
        y.civil(12, 30);
        y.absolute(2025, 1);
        assert_eq!(y.base(None, Some(ts("2030-01-01T00:00:00Z"))), (2024, YearSource::InFile));
        // Dec, rollover to Jan, then ISO in Jan 2025: offset 1 is 2025, base 2024.
        let mut y = Years::default();
        y.civil(12, 30);
        y.civil(1, 1);
        y.absolute(2025, 1);
        assert_eq!(y.base(None, None).0, 2024);
        // ISO first (Nov 2024), then yearless Jan lines: 2025.
        let mut y = Years::default();
        y.absolute(2024, 11);
        y.civil(1, 3);
        assert_eq!(y.base(None, None).0, 2025);
    }

    #[test]
    fn base_from_modification_time() {
        let mut y = Years::default();
        y.civil(12, 10);
        // Modified in Nov: the Dec lines are of the year before.
        assert_eq!(y.base(None, Some(ts("2025-11-24T23:07:00Z"))), (2024, YearSource::Modified));
        assert_eq!(y.base(None, Some(ts("2025-12-10T23:07:00Z"))).0, 2025);
        y.civil(1, 2);
        assert_eq!(y.base(None, Some(ts("2026-01-05T00:00:00Z"))).0, 2025, "last line Jan 2026, first Dec 2025");
    }
}
