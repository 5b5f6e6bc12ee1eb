//! UTF-16 text streams transcoded to UTF-8 on the fly.
//!
//! Windows PowerShell 5.1 writes `>` redirections and `Out-File` as UTF-16LE with a BOM, so a
//! `wevtutil qe … > events.xml` or a `ConvertTo-Json > events.json` arrives in UTF-16. The
//! readers work on UTF-8; this adapter converts while streaming (invalid code units become
//! U+FFFD), so no reader needs to know.

use std::io::{self, BufRead, Read};

/// The byte-order mark of a UTF-16 stream, if `head` starts with one: `Some(true)` for
/// little-endian, `Some(false)` for big-endian.
pub fn bom(head: &[u8]) -> Option<bool> {
    match head {
        [0xFF, 0xFE, ..] => Some(true),
        [0xFE, 0xFF, ..] => Some(false),
        _ => None,
    }
}

/// A reader that yields the UTF-8 form of a UTF-16 stream (its BOM dropped).
pub struct Utf16ToUtf8<R> {
    inner: R,
    little_endian: bool,
    /// A high surrogate waiting for its low half.
    pending: Option<u16>,
    /// A lone byte of a code unit split across reads.
    odd: Option<u8>,
    /// Converted bytes not yet handed out.
    out: Vec<u8>,
    pos: usize,
    started: bool,
}

impl<R: BufRead> Utf16ToUtf8<R> {
    /// Wraps `inner`, which must start with the BOM [`bom`] recognised.
    pub fn new(inner: R, little_endian: bool) -> Self {
        Utf16ToUtf8 { inner, little_endian, pending: None, odd: None, out: Vec::new(), pos: 0, started: false }
    }

    /// Converts the next block of input into `out`; `false` at the end of the input.
    fn refill(&mut self) -> io::Result<bool> {
        self.out.clear();
        self.pos = 0;
        let block = self.inner.fill_buf()?;
        if block.is_empty() {
            if self.pending.take().is_some() || self.odd.take().is_some() {
                self.out.extend_from_slice("\u{FFFD}".as_bytes());
                return Ok(true);
            }
            return Ok(false);
        }
        let n = block.len();
        let mut bytes = Vec::with_capacity(n + 1);
        bytes.extend(self.odd.take());
        bytes.extend_from_slice(block);
        self.inner.consume(n);
        if bytes.len() % 2 == 1 {
            self.odd = bytes.pop();
        }
        let le = self.little_endian;
        let mut units = bytes
            .chunks_exact(2)
            .map(|p| if le { u16::from_le_bytes([p[0], p[1]]) } else { u16::from_be_bytes([p[0], p[1]]) });
        if !self.started {
            self.started = true;
            let mut peek = units.clone();
            if peek.next() == Some(0xFEFF) {
                units = peek;
            }
        }
        let mut all: Vec<u16> = self.pending.take().into_iter().chain(units).collect();
        // A high surrogate at the end of the block waits for the next block's low half.
        if all.last().is_some_and(|u| (0xD800..0xDC00).contains(u)) {
            self.pending = all.pop();
        }
        let mut utf8 = [0u8; 4];
        for c in char::decode_utf16(all) {
            let c = c.unwrap_or(char::REPLACEMENT_CHARACTER);
            self.out.extend_from_slice(c.encode_utf8(&mut utf8).as_bytes());
        }
        Ok(true)
    }
}

impl<R: BufRead> Read for Utf16ToUtf8<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.out.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.pos);
        buf[..n].copy_from_slice(&self.out[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16(text: &str, le: bool) -> Vec<u8> {
        let mut out = if le { vec![0xFF, 0xFE] } else { vec![0xFE, 0xFF] };
        for u in text.encode_utf16() {
            out.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
        }
        out
    }

    #[test]
    fn transcodes_across_tiny_reads() {
        let text = "<Event>Ünïcödé 𝄞 \u{20AC}</Event>\r\n";
        for le in [true, false] {
            let bytes = utf16(text, le);
            assert_eq!(bom(&bytes), Some(le));
            // A 3-byte buffer splits code units and surrogate pairs.
            let reader = io::BufReader::with_capacity(3, &bytes[..]);
            let mut out = String::new();
            Utf16ToUtf8::new(reader, le).read_to_string(&mut out).expect("utf-8");
            assert_eq!(out, text);
        }
    }

    #[test]
    fn broken_input_is_replaced_not_fatal() {
        let bytes = [0xFF, 0xFE, 0x3C, 0x00, 0x00, 0xD8, 0x41];
        let mut out = String::new();
        Utf16ToUtf8::new(&bytes[..], true).read_to_string(&mut out).expect("utf-8");
        assert_eq!(out, "<\u{FFFD}\u{FFFD}");
    }
}
