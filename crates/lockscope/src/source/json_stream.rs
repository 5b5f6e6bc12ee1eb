//! Streaming split of JSON exports into records, without loading the whole file.
//!
//! Exports come as JSON Lines (one record, or one `{"records": [...]}` batch, a line — possibly
//! behind a syslog prefix), as a bare array, or as a page object whose `value` (Graph) or
//! `records` (Event Hub) array holds the records. [`Records`] yields each record's bytes with its
//! position, tracking only nesting depth and string state, so memory is bounded by the largest
//! record, not the file.

use std::io::BufRead;

use serde_json::Value;

use crate::event::Position;

/// The largest single record accepted; beyond it the record is skipped and reported.
pub const MAX_RECORD: usize = 64 * 1024 * 1024;

/// One record split out of a JSON stream: its position and its parsed value, or why it failed.
pub type Item = (Position, Result<Value, String>);

/// How the stream is laid out, decided from its first non-blank line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One JSON value per line (optionally after a text prefix such as `timestamp host `).
    Lines,
    /// A single document (array, page object, or pretty-printed records), split by structure.
    Document,
}

/// Decides the layout from the first bytes of the stream.
pub fn layout(head: &[u8]) -> Layout {
    let head = strip_bom(head);
    let first_line = head.split(|&b| b == b'\n').map(<[u8]>::trim_ascii).find(|l| !l.is_empty()).unwrap_or_default();
    let starts_doc = matches!(first_line.first(), Some(b'[' | b'{'));
    if starts_doc
        && serde_json::from_slice::<serde::de::IgnoredAny>(first_line).is_ok()
        && first_line.first() == Some(&b'{')
    {
        return Layout::Lines;
    }
    if starts_doc {
        return Layout::Document;
    }
    Layout::Lines
}

fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b)
}

/// Expands a value into records: page objects and batches yield their arrays' elements.
pub fn expand(v: Value, mut emit: impl FnMut(Value)) {
    match v {
        Value::Array(items) => items.into_iter().for_each(emit),
        Value::Object(mut map) => {
            if let Some(key) = wrapper_key(&map) {
                if let Some(Value::Array(items)) = map.remove(key) {
                    items.into_iter().for_each(emit);
                }
                return;
            }
            emit(Value::Object(map));
        }
        other => emit(other),
    }
}

/// The key of the records array if `map` is a page or batch wrapper: a `value` or `records`
/// array of objects, beside nothing but `@odata.*` annotations and at most a couple of keys.
/// A record that merely has a `value` field is not a wrapper.
fn wrapper_key(map: &serde_json::Map<String, Value>) -> Option<&'static str> {
    let key = ["value", "records", "Value", "Records"]
        .into_iter()
        .find(|k| matches!(map.get(*k), Some(Value::Array(items)) if items.iter().all(Value::is_object)))?;
    let others = map.keys().filter(|k| k.as_str() != key && !k.starts_with("@odata")).count();
    (others <= 1).then_some(key)
}

/// Iterator over the records of a JSON stream.
pub struct Records<R> {
    reader: R,
    layout: Layout,
    pending: std::collections::VecDeque<Item>,
    line: u64,
    record: u64,
    offset: u64,
    done: bool,
    doc: DocState,
}

impl<R: BufRead> Records<R> {
    /// Splits `reader` laid out as `layout`.
    pub fn new(reader: R, layout: Layout) -> Self {
        Records {
            reader,
            layout,
            pending: Default::default(),
            line: 0,
            record: 0,
            offset: 0,
            done: false,
            doc: DocState::default(),
        }
    }

    fn next_line(&mut self) {
        let mut buf = Vec::new();
        let read = read_line_bounded(&mut self.reader, &mut buf, MAX_RECORD);
        self.line += 1;
        let line_no = self.line;
        match read {
            Err(e) => {
                self.pending.push_back((Position::Line(line_no), Err(format!("read error: {e}"))));
                self.done = true;
            }
            Ok((0, _)) => self.done = true,
            Ok((n, overlong)) => {
                self.offset += n as u64;
                if overlong {
                    self.pending
                        .push_back((Position::Line(line_no), Err(format!("line longer than {MAX_RECORD} bytes"))));
                    return;
                }
                let mut text = buf.trim_ascii();
                if line_no == 1 {
                    text = strip_bom(text);
                }
                if text.is_empty() {
                    return;
                }
                // Syslog forwarders put `timestamp host ` before the JSON: start at the first brace.
                if text[0] != b'{' && text[0] != b'[' {
                    match memchr::memchr(b'{', text) {
                        Some(p) => text = &text[p..],
                        None => {
                            self.pending.push_back((Position::Line(line_no), Err("line holds no JSON object".into())));
                            return;
                        }
                    }
                }
                match serde_json::from_slice::<Value>(text) {
                    Ok(v) => expand(v, |r| self.pending.push_back((Position::Line(line_no), Ok(r)))),
                    Err(e) => self.pending.push_back((Position::Line(line_no), Err(format!("invalid JSON: {e}")))),
                }
            }
        }
    }

    fn next_doc_chunk(&mut self) {
        let buf = match self.reader.fill_buf() {
            Ok(b) => b,
            Err(e) => {
                let pos = Position::Offset(self.offset);
                self.pending.push_back((pos, Err(format!("read error: {e}"))));
                self.done = true;
                return;
            }
        };
        if buf.is_empty() {
            self.done = true;
            if let Some(err) = self.doc.finish() {
                self.pending.push_back((Position::Offset(self.doc.start), Err(err)));
            }
            return;
        }
        let n = buf.len();
        let mut out = Vec::new();
        self.doc.feed(buf, self.offset, &mut out);
        self.reader.consume(n);
        self.offset += n as u64;
        for Captured { start, root, bytes } in out {
            match bytes {
                Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
                    Ok(v) => {
                        let mut items = Vec::new();
                        if root {
                            expand(v, |r| items.push(r));
                        } else {
                            items.push(v);
                        }
                        for r in items {
                            self.record += 1;
                            self.pending.push_back((Position::Record(self.record), Ok(r)));
                        }
                    }
                    Err(e) => {
                        self.record += 1;
                        let msg = format!("invalid JSON at byte {start}: {e}");
                        self.pending.push_back((Position::Record(self.record), Err(msg)));
                    }
                },
                Err(msg) => {
                    self.record += 1;
                    self.pending.push_back((Position::Record(self.record), Err(msg)));
                }
            }
        }
    }
}

impl<R: BufRead> Iterator for Records<R> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            match self.layout {
                Layout::Lines => self.next_line(),
                Layout::Document => self.next_doc_chunk(),
            }
        }
    }
}

/// Reads one line into `buf`, keeping at most `max` bytes; returns bytes consumed and whether
/// the line was cut.
pub(crate) fn read_line_bounded<R: BufRead + ?Sized>(
    r: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<(usize, bool)> {
    let mut consumed = 0;
    let mut overlong = false;
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok((consumed, overlong));
        }
        let (take, end) = match memchr::memchr(b'\n', chunk) {
            Some(p) => (p + 1, true),
            None => (chunk.len(), false),
        };
        if !overlong {
            if buf.len() + take > max {
                overlong = true;
                buf.clear();
            } else {
                buf.extend_from_slice(&chunk[..take]);
            }
        }
        r.consume(take);
        consumed += take;
        if end {
            return Ok((consumed, overlong));
        }
    }
}

/// Structural state of the document splitter.
///
/// Depth counts open containers. The records are: elements of a root array (depth 1), elements
/// of the `value`/`records` array of a root object (depth 2), or the root object itself when it
/// has no such array. Everything else is skipped.
#[derive(Default)]
struct DocState {
    depth: u32,
    in_string: bool,
    escape: bool,
    /// Depth at which record values start (1 for a root array, 2 inside a wrapper array).
    record_depth: Option<u32>,
    /// Bytes of the record being captured.
    capture: Vec<u8>,
    capturing: bool,
    /// Whether the root value is an object being captured whole (no wrapper found yet).
    root_object: bool,
    /// The last string read at depth 1 of a root object (candidate key).
    key: Vec<u8>,
    key_capture: bool,
    /// Offset where the current capture started.
    start: u64,
    overlong: bool,
}

impl DocState {
    fn feed(&mut self, buf: &[u8], base: u64, out: &mut Vec<Captured>) {
        let mut seg_start = 0;
        for (i, &b) in buf.iter().enumerate() {
            if self.in_string {
                if self.key_capture && !self.escape && b != b'"' {
                    self.key.push(b);
                }
                if self.escape {
                    self.escape = false;
                } else if b == b'\\' {
                    self.escape = true;
                } else if b == b'"' {
                    self.in_string = false;
                    self.key_capture = false;
                }
                continue;
            }
            match b {
                b'"' => {
                    self.in_string = true;
                    if self.depth == 1 && self.root_object {
                        self.key.clear();
                        self.key_capture = true;
                    }
                }
                b'{' | b'[' => {
                    if self.depth == 0 {
                        // A new root value.
                        if b == b'[' {
                            self.record_depth = Some(1);
                        } else {
                            self.record_depth = None;
                            self.root_object = true;
                            self.begin(base + i as u64);
                            seg_start = i;
                        }
                    } else if self.depth == 1 && b == b'[' && self.root_object && is_wrapper_key(&self.key) {
                        // A Graph page or Event Hub batch: records are this array's elements.
                        self.record_depth = Some(2);
                        self.root_object = false;
                        self.capturing = false;
                        self.capture.clear();
                    } else if Some(self.depth) == self.record_depth && !self.capturing {
                        self.begin(base + i as u64);
                        seg_start = i;
                    }
                    self.depth += 1;
                }
                b'}' | b']' => {
                    self.depth = self.depth.saturating_sub(1);
                    let ends_record = self.capturing
                        && ((self.root_object && self.depth == 0) || Some(self.depth) == self.record_depth);
                    if ends_record {
                        self.end(buf, seg_start, i + 1, out);
                    }
                    if self.depth == 0 {
                        self.root_object = false;
                        self.record_depth = None;
                    }
                }
                _ => {
                    // Scalars directly inside a record array are not records; they are skipped.
                }
            }
        }
        if self.capturing {
            self.append(&buf[seg_start..]);
        }
    }

    fn begin(&mut self, at: u64) {
        self.capturing = true;
        self.capture.clear();
        self.start = at;
        self.overlong = false;
    }

    fn append(&mut self, bytes: &[u8]) {
        if self.overlong {
            return;
        }
        if self.capture.len() + bytes.len() > MAX_RECORD {
            self.overlong = true;
            self.capture = Vec::new();
        } else {
            self.capture.extend_from_slice(bytes);
        }
    }

    fn end(&mut self, buf: &[u8], from: usize, to: usize, out: &mut Vec<Captured>) {
        self.append(&buf[from..to]);
        self.capturing = false;
        let bytes = std::mem::take(&mut self.capture);
        let root = self.root_object;
        let bytes = if self.overlong {
            Err(format!("record at byte {} is larger than {MAX_RECORD} bytes", self.start))
        } else {
            Ok(bytes)
        };
        out.push(Captured { start: self.start, root, bytes });
    }

    /// Reports a record cut off by the end of the stream.
    fn finish(&mut self) -> Option<String> {
        if self.capturing {
            self.capturing = false;
            return Some(format!(
                "truncated: record starting at byte {} is cut off by the end of the file",
                self.start
            ));
        }
        if self.depth > 0 || self.in_string {
            return Some("truncated: the document ends inside an unclosed value".into());
        }
        None
    }
}

/// One value cut out of a document.
struct Captured {
    /// Byte offset where it starts.
    start: u64,
    /// Whether it is a whole root object (which may still be a compact wrapper).
    root: bool,
    /// Its bytes, or why they were not kept.
    bytes: Result<Vec<u8>, String>,
}

fn is_wrapper_key(key: &[u8]) -> bool {
    key.eq_ignore_ascii_case(b"value") || key.eq_ignore_ascii_case(b"records")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &str, chunk: usize) -> Vec<(Position, Result<Value, String>)> {
        let reader = std::io::BufReader::with_capacity(chunk.max(1), input.as_bytes());
        Records::new(reader, layout(input.as_bytes())).collect()
    }

    fn ids(items: &[(Position, Result<Value, String>)]) -> Vec<String> {
        items
            .iter()
            .map(|(p, r)| match r {
                Ok(v) => format!("{p}:{}", v.get("id").map(|i| i.to_string()).unwrap_or_default()),
                Err(e) => format!("{p}:ERR {e}"),
            })
            .collect()
    }

    #[test]
    fn graph_page_object_pretty_printed() {
        let doc = "\u{feff}{\n \"@odata.context\": \"x[{\\\"\",\n \"value\": [\n  {\"id\": 1, \"a\": {\"value\": [9]}},\n  {\"id\": 2}\n ],\n \"@odata.nextLink\": \"y\"\n}\n";
        for chunk in [1, 3, 7, 4096] {
            assert_eq!(ids(&split(doc, chunk)), ["record 1:1", "record 2:2"], "chunk {chunk}");
        }
    }

    #[test]
    fn bare_array_and_records_batch() {
        assert_eq!(ids(&split("[{\"id\":1},\n{\"id\":2}]", 2)), ["record 1:1", "record 2:2"]);
        let batch = "{\"records\": [{\"id\": \"a\"}, {\"id\": \"b\"}]}\n{\"records\": [{\"id\": \"c\"}]}\n";
        assert_eq!(ids(&split(batch, 5)), ["line 1:\"a\"", "line 1:\"b\"", "line 2:\"c\""]);
    }

    #[test]
    fn json_lines_with_prefix_and_bad_line() {
        let input = "{\"id\":1}\n\n2025-02-02T00:27:59+08:00 HOST {\"id\":2}\nnot json\n{\"id\":\n{\"id\":5}";
        let got = ids(&split(input, 4));
        assert_eq!(got[0], "line 1:1");
        assert_eq!(got[1], "line 3:2");
        assert!(got[2].starts_with("line 4:ERR"));
        assert!(got[3].starts_with("line 5:ERR invalid JSON"));
        assert_eq!(got[4], "line 6:5");
    }

    #[test]
    fn single_pretty_record_and_truncation() {
        let one = "{\n  \"id\": 7,\n  \"x\": [1, 2]\n}\n";
        assert_eq!(ids(&split(one, 3)), ["record 1:7"]);
        let cut = "[{\"id\":1},{\"id\":2,\"x\":\"abc";
        let got = ids(&split(cut, 4));
        assert_eq!(got[0], "record 1:1");
        assert!(got[1].contains("truncated"), "{got:?}");
    }

    #[test]
    fn pretty_array_of_records() {
        let doc = "[\n  {\n    \"id\": 1\n  },\n  {\n    \"id\": 2\n  }\n]";
        assert_eq!(layout(doc.as_bytes()), Layout::Document);
        assert_eq!(ids(&split(doc, 2)), ["record 1:1", "record 2:2"]);
    }

    proptest::proptest! {
        /// Splitting does not depend on how the input is chunked.
        #[test]
        fn chunking_invariance(n in 0usize..20, chunk in 1usize..64, pretty: bool) {
            let records: Vec<Value> = (0..n).map(|i| serde_json::json!({"id": i, "s": "}]\"{[", "value": [i]})).collect();
            let page = serde_json::json!({"@odata.context": "c", "value": records});
            let text = if pretty { serde_json::to_string_pretty(&page) } else { serde_json::to_string(&page) }.expect("json");
            let got: Vec<Value> = split(&text, chunk).into_iter().filter_map(|(_, r)| r.ok()).collect();
            proptest::prop_assert_eq!(got, records);
        }

        /// No input makes the splitter panic.
        #[test]
        fn never_panics(s in "[\\[\\]{}\",:a-z0-9 \\n\\\\]{0,200}", chunk in 1usize..16) {
            let _ = split(&s, chunk);
        }
    }
}
