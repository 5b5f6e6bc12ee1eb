//! Windows events as XML: `wevtutil qe /f:xml` (concatenated `<Event>` elements without a root),
//! `/f:RenderedXml`, Event Viewer "Save as XML" (`<Events>` root), `ToXml()`, `evtx_dump -o xml`,
//! and one-line forwarded records (Splunk `XmlWinEventLog`, WEF, NXLog) behind a syslog prefix
//! with single-quoted attributes.
//!
//! [`Fragments`] streams the input and cuts out each `<Event …>…</Event>` with the line it starts
//! on, ignoring what lies between (prefixes, roots, declarations), so memory is bounded by the
//! largest event; [`parse`] reads one fragment with `quick-xml` into a [`Record`]. The `evtx`
//! reader renders binary records to XML and goes through the same [`parse`].

use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event as Xml};

use super::{Name, Record, to_event};
use crate::event::{Event, Origin, Position};
use crate::source::FileReport;

/// The largest single `<Event>` accepted; beyond it the fragment is reported and skipped.
const MAX_FRAGMENT: usize = 16 * 1024 * 1024;

/// Whether the first bytes of a stream are Windows event XML: an `<Event>` element near the
/// start, either in a document that starts with markup or after a text prefix on its line
/// (syslog forwarding, `evtx_dump`'s `Record N` lines) with no JSON before it.
pub fn looks_like_xml(head: &[u8]) -> bool {
    let text = head.trim_ascii_start();
    if text.first() == Some(&b'<') {
        return find_start(text, 0).is_some();
    }
    // A prefixed record: the element must open on one of the first lines, before any `{`.
    let mut rest = text;
    for _ in 0..3 {
        let end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let line = &rest[..end];
        if let Some(at) = find_start(line, 0) {
            return !line[..at].contains(&b'{');
        }
        if end == rest.len() {
            break;
        }
        rest = &rest[end + 1..];
    }
    false
}

/// The offset of the next `<Event` start tag at or after `from` (not `<Events`, `<EventData`…).
fn find_start(buf: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(hit) = memchr::memmem::find(buf.get(at..)?, b"<Event") {
        let pos = at + hit;
        match buf.get(pos + 6) {
            Some(b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/') => return Some(pos),
            // Not enough bytes yet to tell: report it so a streaming caller waits for more.
            None => return Some(pos),
            Some(_) => at = pos + 6,
        }
    }
    None
}

/// Reads every `<Event>` of an XML stream into `out`.
pub fn read(name: &Name, reader: Box<dyn BufRead + Send>, report: &mut FileReport, out: &mut Vec<Event>) {
    for (line, fragment) in Fragments::new(reader) {
        let origin = Origin::new(name, Position::Line(line));
        let parsed = fragment.and_then(|text| parse(&text)).and_then(|rec| to_event(&rec, origin.clone()));
        report.take(parsed, origin, out);
    }
}

/// Splits a stream into `<Event>` fragments with the (1-based) line each starts on.
///
/// Input is appended to one buffer and consumed from the front by moving an offset; the
/// consumed prefix is dropped only when more input is read, and the search for a fragment's end
/// resumes where it stopped, so splitting stays linear in the input size.
pub struct Fragments<R> {
    reader: R,
    buf: Vec<u8>,
    /// Where the unconsumed bytes start in `buf`.
    pos: usize,
    /// How far past `pos` the current fragment has been searched for its end.
    searched: usize,
    /// Line number of `buf[pos]`.
    line: u64,
    eof: bool,
}

/// The closing tag of an event.
const END: &[u8] = b"</Event>";

impl<R: BufRead> Fragments<R> {
    /// Splits `reader`.
    pub fn new(reader: R) -> Self {
        Fragments { reader, buf: Vec::new(), pos: 0, searched: 0, line: 1, eof: false }
    }

    /// The unconsumed bytes.
    fn view(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// Consumes `n` bytes, counting the lines they held.
    fn advance(&mut self, n: usize) {
        let n = n.min(self.buf.len() - self.pos);
        self.line += memchr::memchr_iter(b'\n', &self.buf[self.pos..self.pos + n]).count() as u64;
        self.pos += n;
        self.searched = 0;
    }

    /// Appends the next block of input (dropping the consumed prefix first); `Err` on a read
    /// error.
    fn fill(&mut self) -> Result<(), String> {
        self.buf.drain(..self.pos);
        self.pos = 0;
        match self.reader.fill_buf() {
            Ok([]) => self.eof = true,
            Ok(block) => {
                let n = block.len();
                self.buf.extend_from_slice(block);
                self.reader.consume(n);
            }
            Err(e) => {
                self.eof = true;
                return Err(format!("read error: {e}"));
            }
        }
        Ok(())
    }
}

impl<R: BufRead> Iterator for Fragments<R> {
    type Item = (u64, Result<String, String>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let Some(start) = find_start(self.view(), 0) else {
                // Nothing starts here: keep only a tail that could be the start of a tag.
                let len = self.view().len();
                self.advance(len - len.min(6));
                if self.eof {
                    return None;
                }
                if let Err(e) = self.fill() {
                    return Some((self.line, Err(e)));
                }
                continue;
            };
            if start > 0 {
                self.advance(start);
            }
            // Resume the search a tag's length before where it stopped (a tag split by a read).
            let from = self.searched.saturating_sub(END.len());
            let view = self.view();
            let end = memchr::memmem::find(&view[from..], END).map(|p| from + p + END.len());
            // A new `<Event` before this one's end: this one was cut short.
            let next = find_start(view, from.max(6));
            match (end, next) {
                (Some(end), next) if next.is_none_or(|n| n >= end) => {
                    let text = String::from_utf8_lossy(&view[..end]).into_owned();
                    let line = self.line;
                    self.advance(end);
                    return Some((line, Ok(text)));
                }
                (_, Some(next)) if view.get(next + 6).is_some() => {
                    let line = self.line;
                    self.advance(next);
                    return Some((line, Err("truncated <Event> element (another one starts before its end)".into())));
                }
                _ if self.eof => {
                    let line = self.line;
                    let len = view.len();
                    self.advance(len);
                    return Some((line, Err("truncated <Event> element at the end of the input".into())));
                }
                _ if view.len() > MAX_FRAGMENT => {
                    let line = self.line;
                    self.advance(6);
                    return Some((line, Err(format!("<Event> element longer than {MAX_FRAGMENT} bytes"))));
                }
                _ => {
                    self.searched = view.len();
                    if let Err(e) = self.fill() {
                        return Some((self.line, Err(e)));
                    }
                }
            }
        }
    }
}

/// Where the parser is in an event.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Other,
    System,
    EventData,
    UserData,
    Rendering,
}

/// The element whose text is being collected.
#[derive(Clone, PartialEq, Eq)]
enum Field {
    EventId,
    RecordId,
    Computer,
    Keywords,
    Data(String),
    Message,
}

/// Reads one `<Event>` fragment (or any XML holding `Data Name=…` elements, such as the
/// Log Analytics `EventData` column) into a [`Record`].
pub fn parse(text: &str) -> Result<Record, String> {
    let mut rec = Record::default();
    parse_into(text, &mut rec)?;
    Ok(rec)
}

/// [`parse`] into an existing record (fields already set win).
pub fn parse_into(text: &str, rec: &mut Record) -> Result<(), String> {
    let mut reader = Reader::from_str(text);
    let mut section = Section::Other;
    let mut field: Option<Field> = None;
    let mut value = String::new();
    // Unnamed `<Data>` entries are numbered, as the `evtx` crate's JSON does.
    let mut unnamed = 0usize;
    loop {
        let event = reader.read_event().map_err(|e| format!("invalid XML at byte {}: {e}", reader.error_position()))?;
        match event {
            Xml::Start(e) => open(&e, &mut section, &mut field, &mut value, &mut unnamed, rec)?,
            Xml::Empty(e) => {
                open(&e, &mut section, &mut field, &mut value, &mut unnamed, rec)?;
                // `<Data Name="CertIssuerName" />`: an element without text, closed at once.
                if let Some(f) = field.take() {
                    store(f, String::new(), rec);
                }
                if is_section(e.local_name().as_ref()) {
                    section = Section::Other;
                }
            }
            Xml::End(e) => {
                let name = e.local_name();
                let name = name.as_ref();
                if let Some(f) = field.take_if(|f| closes(f, name)) {
                    store(f, std::mem::take(&mut value), rec);
                }
                if is_section(name) {
                    section = Section::Other;
                }
            }
            Xml::Text(t) if field.is_some() => value.push_str(&t.xml10_content()),
            Xml::CData(t) if field.is_some() => value.push_str(&t.xml10_content()),
            Xml::GeneralRef(r) if field.is_some() => match r.resolve_char_ref() {
                Ok(Some(c)) => value.push(c),
                _ => match quick_xml::escape::resolve_predefined_entity(&r) {
                    Some(s) => value.push_str(s),
                    None => {
                        value.push('&');
                        value.push_str(&r);
                        value.push(';');
                    }
                },
            },
            Xml::Eof => break,
            _ => {}
        }
    }
    Ok(())
}

/// Whether an element name opens one of the parts of an event the parser tells apart.
fn is_section(name: &str) -> bool {
    matches!(name, "System" | "EventData" | "UserData" | "RenderingInfo")
}

/// Handles a start (or empty) tag.
fn open(
    e: &BytesStart<'_>,
    section: &mut Section,
    field: &mut Option<Field>,
    value: &mut String,
    unnamed: &mut usize,
    rec: &mut Record,
) -> Result<(), String> {
    let name = e.local_name();
    let name = name.as_ref();
    match name {
        "System" => *section = Section::System,
        "EventData" => *section = Section::EventData,
        "UserData" => *section = Section::UserData,
        "RenderingInfo" => *section = Section::Rendering,
        _ => {}
    }
    value.clear();
    *field = match (*section, name) {
        (Section::System, "Provider") => {
            rec.provider = rec.provider.take().or(attr(e, "Name")?);
            None
        }
        (Section::System, "TimeCreated") => {
            rec.time = rec.time.or(attr(e, "SystemTime")?.as_deref().and_then(crate::time::parse));
            None
        }
        (Section::System, "Security") => {
            rec.user_sid = rec.user_sid.take().or(attr(e, "UserID")?);
            None
        }
        (Section::System, "EventID") => Some(Field::EventId),
        (Section::System, "EventRecordID") => Some(Field::RecordId),
        (Section::System, "Computer") => Some(Field::Computer),
        (Section::System, "Keywords") => Some(Field::Keywords),
        (Section::Rendering, "Message") => Some(Field::Message),
        (Section::UserData, "UserData") => None,
        // `UserData` holds one wrapper element whose children are the fields; a later child
        // start replaces the wrapper as the field being read.
        (Section::UserData, leaf) => Some(Field::Data(leaf.to_string())),
        (_, "Data") => {
            let key = match attr(e, "Name")? {
                Some(n) => n,
                None => {
                    *unnamed += 1;
                    format!("Data{unnamed}")
                }
            };
            Some(Field::Data(key))
        }
        _ => None,
    };
    Ok(())
}

/// Whether the end tag `name` closes the element `field` is collecting.
fn closes(field: &Field, name: &str) -> bool {
    match field {
        Field::EventId => name == "EventID",
        Field::RecordId => name == "EventRecordID",
        Field::Computer => name == "Computer",
        Field::Keywords => name == "Keywords",
        Field::Message => name == "Message",
        Field::Data(key) => name == "Data" || name == key,
    }
}

/// Files a collected value.
fn store(field: Field, value: String, rec: &mut Record) {
    let trimmed = value.trim();
    match field {
        Field::EventId => rec.id = rec.id.or(trimmed.parse().ok()),
        Field::RecordId => rec.record_id = rec.record_id.take().or(Some(trimmed.to_string())),
        Field::Computer => rec.computer = rec.computer.take().or(Some(trimmed.to_string())),
        Field::Keywords => rec.audit_failure = rec.audit_failure.or(super::audit_failure(trimmed)),
        Field::Message => rec.message = rec.message.take().or(Some(value)),
        Field::Data(key) => rec.set(&key, value),
    }
}

/// An attribute's unescaped value by local name (quotes of either kind).
fn attr(e: &BytesStart<'_>, key: &str) -> Result<Option<String>, String> {
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|err| format!("invalid XML attribute: {err}"))?;
        if a.key.local_name().as_ref() == key {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|err| format!("invalid XML attribute value: {err}"))?;
            return Ok(Some(v.trim().to_string()));
        }
    }
    Ok(None)
}
