//! CSV exports read as JSON-like rows.
//!
//! Portal downloads and Log Analytics exports are CSV with quirks: a UTF-8 BOM, headers with
//! trailing or doubled spaces, duplicate columns (the portal writes `Incoming token type` twice),
//! ragged rows, and cells a spreadsheet prefixed with `'`. Rows are handed to the parsers as maps
//! from the cleaned header name to a string value, so CSV and JSON share one code path.
//!
//! Damage is reported, never passed on as data: a row longer than [`MAX_ROW`] bytes is cut off
//! and reported (memory stays bounded on any input), and a last row that the end of the file cut
//! off (inside a quoted cell, or short of cells without a line end) is reported as truncated
//! rather than read with its cells missing.

use std::io::{self, Read};

use serde_json::{Map, Value};

use crate::event::Position;

/// One CSV row: its position (the physical line where it starts) and its cells, or why not.
pub type Row = (Position, Result<Map<String, Value>, String>);

/// The longest CSV row accepted, in bytes (give or take one 64 KiB read); a longer one is skipped
/// and reported.
pub const MAX_ROW: usize = 16 * 1024 * 1024;

/// The cell that stands for the rest of an over-long row, so [`rows`] reports it.
const OVERLONG: &[u8] = b"\0lockscope: row too long\0";

/// Cleans a header cell: BOM and surrounding whitespace removed, inner runs collapsed, and the
/// ` [UTC]` suffix the Log Analytics portal adds to time columns (`TimeGenerated [UTC]`) dropped.
pub fn clean_header(h: &str) -> String {
    let joined = h.trim().trim_start_matches('\u{feff}').split_whitespace().collect::<Vec<_>>().join(" ");
    match joined.strip_suffix(" [UTC]") {
        Some(base) => base.to_string(),
        None => joined,
    }
}

/// Reads the header row of a CSV stream. Returns the reader positioned after it.
pub fn open<R: Read>(reader: R) -> Result<(csv::Reader<Guard<R>>, Vec<String>), String> {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).has_headers(true).from_reader(Guard::new(reader));
    let headers = match rdr.byte_headers() {
        Ok(h) if h.iter().any(|c| c == OVERLONG) => {
            return Err(format!("unreadable CSV header: longer than {MAX_ROW} bytes"));
        }
        Ok(h) => h.iter().map(|c| clean_header(&String::from_utf8_lossy(c))).collect(),
        Err(e) => return Err(format!("unreadable CSV header: {e}")),
    };
    Ok((rdr, headers))
}

/// Iterates the data rows of `rdr`, keyed by `headers`.
pub fn rows<R: Read>(rdr: csv::Reader<Guard<R>>, headers: Vec<String>) -> impl Iterator<Item = Row> {
    let mut records = rdr.into_byte_records();
    // One record of lookahead: only at the end of the input is a short last row known to be cut off.
    let mut next = records.next();
    // Line ends dropped with over-long rows before this one.
    let mut offset = 0;
    std::iter::from_fn(move || {
        let rec = next.take()?;
        next = records.next();
        Some(match rec {
            Ok(rec) => {
                let line = rec.position().map_or(0, csv::Position::line) + offset;
                let guard = records.reader_mut().get_mut();
                let cut = next.is_none() && (guard.in_quotes || (!guard.terminated && rec.len() < headers.len()));
                let row = if rec.iter().any(|c| c == OVERLONG) {
                    offset += guard.dropped_rows.pop_front().unwrap_or(0);
                    Err(format!("row longer than {MAX_ROW} bytes: skipped"))
                } else if cut {
                    let cells = rec.len();
                    Err(format!(
                        "truncated: the last row is cut off by the end of the file ({cells} of {} cells)",
                        headers.len()
                    ))
                } else {
                    to_map(&headers, &rec)
                };
                (Position::Line(line), row)
            }
            Err(e) => {
                // An I/O error has no position of its own: it is where the reader stopped.
                let line = e.position().map_or_else(|| records.reader().position().line(), csv::Position::line);
                (Position::Line(line + offset), Err(format!("unreadable CSV row: {e}")))
            }
        })
    })
}

/// Where the bytes passed on are in CSV's grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a cell.
    Start,
    /// In a cell that did not start with a quote.
    Unquoted,
    /// In a quoted cell.
    Quoted,
    /// Just after a quote inside a quoted cell (the end of the cell, or the first of `""`).
    QuoteInQuoted,
}

impl State {
    /// Follows the grammar over `buf` from `at`; returns where it stopped: the end of a row (the
    /// index after its line end, and `true`), or the end of `buf`.
    fn run(&mut self, buf: &[u8], mut at: usize) -> (usize, bool) {
        while at < buf.len() {
            match *self {
                State::Quoted => match memchr::memchr(b'"', &buf[at..]) {
                    Some(p) => {
                        at += p + 1;
                        *self = State::QuoteInQuoted;
                    }
                    None => return (buf.len(), false),
                },
                State::Unquoted => match memchr::memchr3(b',', b'\n', b'\r', &buf[at..]) {
                    Some(p) => at += p,
                    None => return (buf.len(), false),
                },
                State::Start | State::QuoteInQuoted => {}
            }
            let Some(&b) = buf.get(at) else { break };
            if matches!(*self, State::Quoted) {
                continue;
            }
            at += 1;
            *self = match (*self, b) {
                (_, b'\n' | b'\r') => {
                    *self = State::Start;
                    return (at, true);
                }
                (_, b',') => State::Start,
                (State::Start | State::QuoteInQuoted, b'"') => State::Quoted,
                _ => State::Unquoted,
            };
        }
        (buf.len(), false)
    }
}

/// A CSV byte stream with every row bounded to [`MAX_ROW`] bytes: the rest of a longer row is
/// dropped and replaced by one marker cell that [`rows`] reports (with the count of line ends
/// dropped, so the lines of the rows after it stay right). Row ends are passed on as `\n` (a
/// `\r\n` or a lone `\r` outside quotes), so rows are numbered by the lines people see. It also
/// remembers how the input ended (inside a quoted cell, or without a line end), to tell a cut-off
/// last row.
pub struct Guard<R> {
    inner: R,
    /// The grammar state of the bytes read (passed on or dropped).
    state: State,
    /// Bytes of the current row passed on.
    row: usize,
    /// Dropping the rest of an over-long row.
    skipping: bool,
    /// The grammar state of the bytes passed on when dropping began.
    cut_state: State,
    /// Line ends dropped so far in the row being dropped.
    dropped: u64,
    /// Line ends dropped with each over-long row, in order, until [`rows`] takes them.
    dropped_rows: std::collections::VecDeque<u64>,
    /// A `\r` row end was passed on as `\n`: a `\n` right after it is dropped.
    after_cr: bool,
    /// Bytes read from `inner` and not yet handled: `buf[at..end]`.
    buf: Vec<u8>,
    at: usize,
    end: usize,
    /// Bytes to pass on before anything else: `pending[sent..]`.
    pending: Vec<u8>,
    sent: usize,
    /// The input ended inside a quoted cell.
    in_quotes: bool,
    /// The bytes read so far end with a row end (or there are none).
    terminated: bool,
}

impl<R: Read> Guard<R> {
    fn new(inner: R) -> Self {
        Guard {
            inner,
            state: State::Start,
            row: 0,
            skipping: false,
            cut_state: State::Start,
            dropped: 0,
            dropped_rows: std::collections::VecDeque::new(),
            after_cr: false,
            buf: vec![0; 64 * 1024],
            at: 0,
            end: 0,
            pending: Vec::new(),
            sent: 0,
            in_quotes: false,
            terminated: true,
        }
    }

    /// Queues the end of a dropped row: a closing quote if the part passed on stopped inside a
    /// quoted cell, then the marker cell and a line end.
    fn marker(&mut self) {
        self.pending.clear();
        self.sent = 0;
        if self.cut_state == State::Quoted {
            self.pending.push(b'"');
        }
        self.pending.push(b',');
        self.pending.extend_from_slice(OVERLONG);
        self.pending.push(b'\n');
        self.dropped_rows.push_back(std::mem::take(&mut self.dropped));
    }
}

impl<R: Read> Read for Guard<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            if out.is_empty() {
                return Ok(0);
            }
            if self.sent < self.pending.len() {
                let n = out.len().min(self.pending.len() - self.sent);
                out[..n].copy_from_slice(&self.pending[self.sent..self.sent + n]);
                self.sent += n;
                return Ok(n);
            }
            if self.at == self.end {
                let n = loop {
                    match self.inner.read(&mut self.buf) {
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        other => break other?,
                    }
                };
                if n == 0 {
                    if self.skipping {
                        // The input ended inside the over-long row.
                        self.skipping = false;
                        self.marker();
                        continue;
                    }
                    self.in_quotes = self.state == State::Quoted;
                    return Ok(0);
                }
                self.at = 0;
                self.end = n;
            }
            if std::mem::take(&mut self.after_cr) && self.buf[self.at] == b'\n' {
                self.at += 1;
                continue;
            }
            let from = self.at;
            let (stop, row_end) = self.state.run(&self.buf[..self.end], from);
            self.at = stop;
            if stop > from {
                self.terminated = row_end;
            }
            let cr = row_end && self.buf[stop - 1] == b'\r';
            if cr {
                self.buf[stop - 1] = b'\n';
                self.after_cr = true;
            }
            if self.skipping {
                self.dropped += memchr::memchr_iter(b'\n', &self.buf[from..stop]).count() as u64;
                if row_end {
                    // The marker's line end stands for the row's own.
                    self.dropped -= 1;
                    self.skipping = false;
                    self.marker();
                }
                continue;
            }
            self.row = if row_end { 0 } else { self.row + (stop - from) };
            if !row_end && self.row > MAX_ROW {
                self.skipping = true;
                self.cut_state = self.state;
            }
            let n = out.len().min(stop - from);
            out[..n].copy_from_slice(&self.buf[from..from + n]);
            if n < stop - from {
                // The rest does not fit: it is passed on next (its grammar is already followed).
                self.pending.clear();
                self.pending.extend_from_slice(&self.buf[from + n..stop]);
                self.sent = 0;
            }
            return Ok(n);
        }
    }
}

fn to_map(headers: &[String], rec: &csv::ByteRecord) -> Result<Map<String, Value>, String> {
    if rec.len() > headers.len() && rec.iter().skip(headers.len()).any(|c| !c.is_empty()) {
        return Err(format!("row has {} cells but the header has {}", rec.len(), headers.len()));
    }
    let mut map = Map::new();
    for (name, cell) in headers.iter().zip(rec.iter()) {
        let text = String::from_utf8_lossy(cell);
        // Spreadsheets protect cells starting with `-`/`+`/`=` by a leading apostrophe.
        let text = text.strip_prefix('\'').unwrap_or(&text).trim();
        match map.get(name) {
            // A duplicate column keeps the first non-empty value.
            Some(Value::String(prev)) if !prev.is_empty() => {}
            _ => {
                map.insert(name.clone(), Value::String(text.to_string()));
            }
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bom_duplicates_spaces_and_apostrophes() {
        let data = "\u{feff}\"Date (UTC)\",\"Application ID \",\"Autonomous system  number\",\"Incoming token type\",\"Incoming token type\",\"Unique token identifier\"\n\
                    2025-04-19T05:01:07Z,abc,4134,,refreshToken,'-xMFjTVvJPE2OChJx_YE-A\n\
                    \"2025-04-19T05:02:07Z\",\"multi\nline\",1,none,refreshToken,x\n";
        let (rdr, headers) = open(data.as_bytes()).expect("header");
        assert_eq!(
            headers,
            [
                "Date (UTC)",
                "Application ID",
                "Autonomous system number",
                "Incoming token type",
                "Incoming token type",
                "Unique token identifier"
            ]
        );
        let rows: Vec<_> = rows(rdr, headers).collect();
        let (pos, first) = &rows[0];
        let first = first.as_ref().expect("row");
        assert_eq!(*pos, Position::Line(2));
        assert_eq!(first["Incoming token type"], "refreshToken");
        assert_eq!(first["Unique token identifier"], "-xMFjTVvJPE2OChJx_YE-A");
        let second = rows[1].1.as_ref().expect("row");
        assert_eq!(second["Application ID"], "multi\nline");
        assert_eq!(second["Incoming token type"], "none");
    }

    #[test]
    fn log_analytics_time_suffix_is_dropped() {
        assert_eq!(clean_header("TimeGenerated [UTC]"), "TimeGenerated");
        assert_eq!(clean_header(" \u{feff}Autonomous system  number "), "Autonomous system number");
    }

    fn read_all(data: &[u8]) -> Vec<Row> {
        let (rdr, headers) = open(data).expect("header");
        rows(rdr, headers).collect()
    }

    #[test]
    fn an_over_long_row_is_reported_and_the_lines_after_it_stay_right() {
        for quoted in [true, false] {
            let mut data = b"a,b\n1,2\n".to_vec();
            let cell = if quoted { b"x\ny".repeat(MAX_ROW / 2) } else { b"x".repeat(MAX_ROW + 200_000) };
            data.extend_from_slice(b"3,");
            if quoted {
                data.push(b'"');
            }
            data.extend_from_slice(&cell);
            if quoted {
                data.push(b'"');
            }
            data.extend_from_slice(b"\n5,6\r\n7,\"8\"\n");
            let got = read_all(&data);
            let lines: Vec<Position> = got.iter().map(|(p, _)| *p).collect();
            let skipped_lines = if quoted { (MAX_ROW / 2) as u64 } else { 0 };
            assert_eq!(
                lines,
                [
                    Position::Line(2),
                    Position::Line(3),
                    Position::Line(4 + skipped_lines),
                    Position::Line(5 + skipped_lines)
                ],
                "quoted: {quoted}"
            );
            assert_eq!(got[1].1.as_ref().err(), Some(&format!("row longer than {MAX_ROW} bytes: skipped")));
            assert_eq!(got[2].1.as_ref().map(|m| m["b"].clone()), Ok(Value::from("6")));
            assert_eq!(got[3].1.as_ref().map(|m| m["b"].clone()), Ok(Value::from("8")));
        }
        // The input ends inside the over-long row.
        let mut data = b"a,b\n1,2\n3,\"".to_vec();
        data.extend_from_slice(&b"x".repeat(MAX_ROW + 1));
        let got = read_all(&data);
        assert_eq!(got.len(), 2);
        assert!(got[1].1.as_ref().is_err_and(|e| e.starts_with("row longer than")), "{:?}", got[1].1);
    }

    #[test]
    fn a_last_row_cut_off_by_the_end_of_the_file_is_reported() {
        let cut = |data: &str| read_all(data.as_bytes()).last().map(|(p, r)| (*p, r.is_err()));
        // Inside a quoted cell: cut off, whatever the number of cells.
        assert_eq!(cut("a,b,c\n1,2,3\n\"4\",\"5\",\"6 and mo"), Some((Position::Line(3), true)));
        // Short of cells and without a line end: cut off.
        assert_eq!(cut("a,b,c\n1,2,3\n4,5"), Some((Position::Line(3), true)));
        // Every cell, without a line end (exports often end so): read.
        assert_eq!(cut("a,b,c\n1,2,3\n4,5,6"), Some((Position::Line(3), false)));
        // A short row with its line end is a ragged row, read as before.
        assert_eq!(cut("a,b,c\n1,2,3\n4,5\n"), Some((Position::Line(3), false)));
        assert_eq!(cut("a,b,c\r\n1,2,3\r\n"), Some((Position::Line(2), false)));
        let got = read_all(b"a,b,c\n1,2,3\n\"4\",\"5\",\"6 and mo");
        assert_eq!(got[1].1, Err("truncated: the last row is cut off by the end of the file (3 of 3 cells)".into()));
    }

    #[test]
    fn a_read_error_is_placed_where_reading_stopped() {
        struct Broken(std::io::Cursor<Vec<u8>>);
        impl Read for Broken {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(8);
                match self.0.read(&mut buf[..n])? {
                    0 => Err(std::io::Error::other("incomplete deflate stream")),
                    n => Ok(n),
                }
            }
        }
        let data = b"a,b\n1,2\n3,4\n5,".to_vec();
        let (rdr, headers) = open(Broken(std::io::Cursor::new(data))).expect("header");
        let got: Vec<_> = rows(rdr, headers).collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[2], (Position::Line(4), Err("unreadable CSV row: incomplete deflate stream".into())));
    }

    #[test]
    fn ragged_rows_are_reported_not_fatal() {
        let data = "a,b\n1,2\n1,2,3\n4\n5,6\n";
        let (rdr, headers) = open(data.as_bytes()).expect("header");
        let got: Vec<_> = rows(rdr, headers).map(|(p, r)| (p, r.is_ok())).collect();
        assert_eq!(
            got,
            [
                (Position::Line(2), true),
                (Position::Line(3), false),
                (Position::Line(4), true),
                (Position::Line(5), true)
            ]
        );
    }
}
