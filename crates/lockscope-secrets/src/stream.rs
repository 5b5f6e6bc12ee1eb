//! Streaming over any reader in fixed windows, so memory stays bounded on any line length.
//!
//! Each window keeps `overlap` bytes of lookahead beyond the point up to which it settles matches
//! (`until`). Because no match is longer than [`crate::rule::MAX_MATCH_LEN`], every match starting
//! before `until` is whole inside the window; matches starting later are found by the next window.
//! Overlapping findings are settled only when no later match can join them. The result is the same
//! as scanning the whole input at once, for any buffer size — the property tests check that.

use std::io::{self, Read};

use crate::engine::{Candidate, Engine, PRAGMA_WINDOW};
use crate::resolve::settle;

/// Default window size.
pub const WINDOW: usize = 1 << 20;

/// Bytes kept before `until` so regexes see the character before a match (word boundaries).
const CONTEXT: usize = 8;

/// Receives settled findings and, for redaction, the bytes between them.
pub(crate) trait Sink {
    /// A settled finding; `window` holds its bytes at `c.start - base`. `line` is 1-based.
    fn finding(&mut self, window: &[u8], base: u64, c: &Candidate, line: u64) -> io::Result<()>;
    /// No finding will start before `upto`: bytes before it are final.
    fn advance(&mut self, window: &[u8], base: u64, upto: u64) -> io::Result<()>;
}

/// Totals of one streamed input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Bytes read.
    pub bytes: u64,
    /// Lines read (newlines, plus a last line without one).
    pub lines: u64,
}

/// Streams `reader` through the engine in windows of `window` bytes (raised to what the rules
/// need), calling `sink` in stream order.
pub(crate) fn drive(engine: &Engine, mut reader: impl Read, window: usize, sink: &mut impl Sink) -> io::Result<Totals> {
    let overlap = 2 * engine.max_len + PRAGMA_WINDOW + 2 * CONTEXT;
    let cap = window.max(2 * overlap + CONTEXT);
    let mut buf: Vec<u8> = Vec::with_capacity(cap);
    let mut base: u64 = 0;
    let mut cursor = engine.cursor();
    let mut pending: Vec<Candidate> = Vec::new();
    let mut settled: Vec<Candidate> = Vec::new();
    let mut lines = LineCounter::default();
    let mut eof = false;
    loop {
        fill(&mut reader, &mut buf, cap, &mut eof)?;
        let until = if eof { buf.len() } else { buf.len() - overlap };
        engine.scan_window(&buf, base, until, &mut cursor, &mut pending);
        let limit = (!eof).then_some(base + until as u64);
        settle(engine, &mut pending, limit, &mut settled);
        for c in settled.drain(..) {
            let line = lines.line_at(&buf, base, c.start);
            sink.finding(&buf, base, &c, line)?;
        }
        let end = base + buf.len() as u64;
        let safe =
            if eof { end } else { pending.first().map_or(base + until as u64, |p| p.start.min(base + until as u64)) };
        sink.advance(&buf, base, safe)?;
        if eof {
            let total = lines.finish(&buf, base);
            return Ok(Totals { bytes: end, lines: total });
        }
        let keep_from = safe.min(base + (until - CONTEXT) as u64);
        lines.line_at(&buf, base, keep_from);
        buf.drain(..usize::try_from(keep_from - base).unwrap_or(0));
        base = keep_from;
    }
}

/// Reads until `buf` holds `cap` bytes or the input ends.
fn fill(reader: &mut impl Read, buf: &mut Vec<u8>, cap: usize, eof: &mut bool) -> io::Result<()> {
    let mut len = buf.len();
    buf.resize(cap, 0);
    while len < cap {
        match reader.read(&mut buf[len..]) {
            Ok(0) => {
                *eof = true;
                break;
            }
            Ok(n) => len += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(len);
                return Err(e);
            }
        }
    }
    buf.truncate(len);
    Ok(())
}

/// Counts newlines lazily, only up to the positions asked about, which only move forward.
#[derive(Debug, Default)]
struct LineCounter {
    counted_to: u64,
    newlines: u64,
}

impl LineCounter {
    /// The 1-based line of stream offset `at` (which is inside `buf` or at its end).
    fn line_at(&mut self, buf: &[u8], base: u64, at: u64) -> u64 {
        if at > self.counted_to {
            let from = usize::try_from(self.counted_to.saturating_sub(base)).unwrap_or(0);
            let to = usize::try_from(at - base).unwrap_or(buf.len()).min(buf.len());
            self.newlines += memchr::memchr_iter(b'\n', &buf[from.min(to)..to]).count() as u64;
            self.counted_to = at;
        }
        self.newlines + 1
    }

    /// The number of lines in the whole stream, once `buf` holds its end.
    fn finish(&mut self, buf: &[u8], base: u64) -> u64 {
        let end = base + buf.len() as u64;
        self.line_at(buf, base, end);
        let unterminated = u64::from(buf.last().is_some_and(|&b| b != b'\n'));
        self.newlines + unterminated
    }
}
