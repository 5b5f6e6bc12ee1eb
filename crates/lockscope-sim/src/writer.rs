//! Streaming output: byte-counting buffered files (plain or gzip), Graph-style paged JSON,
//! JSON arrays, JSON Lines and CSV.
//!
//! Nothing here holds more than one record and a write buffer, so memory does not grow with
//! the size of the data set.

use crate::SimError;
use flate2::Compression;
use flate2::write::GzEncoder;
use serde::Serialize;
use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

const BUFFER: usize = 1 << 18;

/// A written file: path, bytes, records.
pub(crate) type FileStat = (PathBuf, u64, u64);

/// A writer that counts the bytes passing through it.
pub(crate) struct Counted<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Where a file's bytes go: straight to disk, or through gzip. Bytes are counted on disk, so a
/// compressed file reports its compressed size.
pub(crate) enum Sink {
    Plain(Counted<BufWriter<File>>),
    Gzip(GzEncoder<Counted<BufWriter<File>>>),
}

impl Sink {
    /// Creates `path`; with `gzip` the file is a gzip stream (fixed header, no name or mtime, so
    /// the bytes stay reproducible).
    pub(crate) fn create(path: &Path, gzip: bool) -> Result<Self, SimError> {
        let file = File::create(path).map_err(SimError::io(path))?;
        let counted = Counted { inner: BufWriter::with_capacity(BUFFER, file), bytes: 0 };
        Ok(if gzip { Sink::Gzip(GzEncoder::new(counted, Compression::default())) } else { Sink::Plain(counted) })
    }

    /// Flushes everything (ending the gzip stream) and returns the bytes on disk.
    pub(crate) fn finish(self) -> io::Result<u64> {
        let mut counted = match self {
            Sink::Plain(c) => c,
            Sink::Gzip(z) => z.finish()?,
        };
        counted.flush()?;
        Ok(counted.bytes)
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Gzip(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Gzip(w) => w.flush(),
        }
    }
}

/// `name`, with `.gz` appended when the file is compressed.
pub(crate) fn named(dir: &Path, name: &str, gzip: bool) -> PathBuf {
    if gzip { dir.join(format!("{name}.gz")) } else { dir.join(name) }
}

/// A buffered output file that counts bytes and records.
pub(crate) struct Output {
    pub path: PathBuf,
    out: Sink,
    pub records: u64,
}

impl Output {
    pub(crate) fn create(path: PathBuf) -> Result<Self, SimError> {
        Self::create_with(path, false)
    }

    /// Creates `path`, gzip-compressed when `gzip` (the caller names it `….gz`).
    pub(crate) fn create_with(path: PathBuf, gzip: bool) -> Result<Self, SimError> {
        let out = Sink::create(&path, gzip)?;
        Ok(Self { out, path, records: 0 })
    }

    pub(crate) fn raw(&mut self, bytes: &[u8]) -> Result<(), SimError> {
        self.out.write_all(bytes).map_err(SimError::io(&self.path))
    }

    pub(crate) fn json<T: Serialize>(&mut self, value: &T) -> Result<(), SimError> {
        serde_json::to_writer(&mut self.out, value).map_err(SimError::json(&self.path))
    }

    pub(crate) fn writer_mut(&mut self) -> &mut Sink {
        &mut self.out
    }

    /// Writes one record as a line of JSON.
    pub(crate) fn line<T: Serialize>(&mut self, value: &T) -> Result<(), SimError> {
        self.json(value)?;
        self.raw(b"\n")?;
        self.records += 1;
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<FileStat, SimError> {
        let bytes = self.out.finish().map_err(SimError::io(&self.path))?;
        Ok((self.path, bytes, self.records))
    }
}

/// A CSV file written cell by cell (or a serialized row at a time) with a fixed header.
pub(crate) struct CsvOut {
    pub path: PathBuf,
    csv: csv::Writer<Sink>,
    text: String,
    json: Vec<u8>,
    pub records: u64,
}

/// How a CSV file is dressed: what it starts with and how it quotes.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct CsvStyle {
    /// Start with a UTF-8 byte order mark (portal downloads).
    pub bom: bool,
    /// Quote every field, the header too (portal downloads); otherwise only where needed.
    pub quote_all: bool,
    /// Gzip the file.
    pub gzip: bool,
}

impl CsvOut {
    /// Creates the file and writes `header`.
    pub(crate) fn create(path: PathBuf, header: &[&str], style: CsvStyle) -> Result<Self, SimError> {
        let mut sink = Sink::create(&path, style.gzip)?;
        if style.bom {
            sink.write_all("\u{feff}".as_bytes()).map_err(SimError::io(&path))?;
        }
        let quote = if style.quote_all { csv::QuoteStyle::Always } else { csv::QuoteStyle::Necessary };
        let mut csv =
            csv::WriterBuilder::new().has_headers(false).quote_style(quote).buffer_capacity(BUFFER).from_writer(sink);
        csv.write_record(header).map_err(SimError::csv(&path))?;
        Ok(Self { path, csv, text: String::new(), json: Vec::new(), records: 0 })
    }

    /// One text cell.
    pub(crate) fn field(&mut self, value: &str) -> Result<(), SimError> {
        self.csv.write_field(value).map_err(SimError::csv(&self.path))
    }

    /// One cell holding a value's `Display` text.
    pub(crate) fn display(&mut self, value: impl std::fmt::Display) -> Result<(), SimError> {
        self.text.clear();
        let _ = write!(self.text, "{value}");
        self.csv.write_field(self.text.as_bytes()).map_err(SimError::csv(&self.path))
    }

    /// One cell holding a value as JSON text.
    pub(crate) fn json<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), SimError> {
        self.json.clear();
        serde_json::to_writer(&mut self.json, value).map_err(SimError::json(&self.path))?;
        self.csv.write_field(&self.json).map_err(SimError::csv(&self.path))
    }

    /// Ends the row whose cells were written one by one.
    pub(crate) fn end_row(&mut self) -> Result<(), SimError> {
        self.csv.write_record(None::<&[u8]>).map_err(SimError::csv(&self.path))?;
        self.records += 1;
        Ok(())
    }

    /// Writes a flat struct as one row (its fields in header order).
    pub(crate) fn row<T: Serialize>(&mut self, value: &T) -> Result<(), SimError> {
        self.csv.serialize(value).map_err(SimError::csv(&self.path))?;
        self.records += 1;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<FileStat, SimError> {
        self.csv.flush().map_err(SimError::io(&self.path))?;
        let sink = self
            .csv
            .into_inner()
            .map_err(|e| SimError::Io { path: self.path.clone(), source: std::io::Error::other(e.to_string()) })?;
        let bytes = sink.finish().map_err(SimError::io(&self.path))?;
        Ok((self.path, bytes, self.records))
    }
}

/// A JSON array of records, one per line: `[\n{…},\n{…}\n]`.
pub(crate) struct JsonArray {
    out: Output,
    prefix: &'static str,
}

impl JsonArray {
    /// `prefix` is written first; it must end where the array's `[` goes (e.g. `{"value":`).
    pub(crate) fn create(path: PathBuf, prefix: &'static str) -> Result<Self, SimError> {
        Self::create_with(path, prefix, false)
    }

    /// Like [`JsonArray::create`], gzip-compressed when `gzip`.
    pub(crate) fn create_with(path: PathBuf, prefix: &'static str, gzip: bool) -> Result<Self, SimError> {
        let mut out = Output::create_with(path, gzip)?;
        out.raw(prefix.as_bytes())?;
        out.raw(b"[")?;
        Ok(Self { out, prefix })
    }

    pub(crate) fn push<T: Serialize>(&mut self, value: &T) -> Result<(), SimError> {
        self.out.raw(if self.out.records == 0 { b"\n" } else { b",\n" })?;
        self.out.json(value)?;
        self.out.records += 1;
        Ok(())
    }

    pub(crate) fn finish(mut self) -> Result<FileStat, SimError> {
        self.out.raw(b"\n]")?;
        if !self.prefix.is_empty() {
            self.out.raw(b"}")?;
        }
        self.out.raw(b"\n")?;
        self.out.finish()
    }
}

/// Graph list responses split into pages of `size` records, `<stem>-NNNN.json`, each
/// `{"@odata.context", "value": […], "@odata.nextLink"}`; the last page has no nextLink.
pub(crate) struct Pager {
    dir: PathBuf,
    stem: &'static str,
    context: &'static str,
    next_link: &'static str,
    size: u64,
    page: u32,
    current: Option<JsonArray>,
    pub files: Vec<FileStat>,
}

impl Pager {
    pub(crate) fn new(
        dir: &Path,
        stem: &'static str,
        context: &'static str,
        next_link: &'static str,
        size: u64,
    ) -> Self {
        Self { dir: dir.to_path_buf(), stem, context, next_link, size, page: 0, current: None, files: Vec::new() }
    }

    fn open(&mut self) -> Result<JsonArray, SimError> {
        self.page += 1;
        let path = self.dir.join(format!("{}-{:04}.json", self.stem, self.page));
        JsonArray::create(path, self.context)
    }

    fn close(&mut self, page: JsonArray, more: bool) -> Result<(), SimError> {
        let mut out = page.out;
        out.raw(b"\n]")?;
        if more {
            // A skiptoken that is stable for the page (Graph's are opaque).
            let token = crate::ids::mix(u64::from(self.page) ^ 0x5eed);
            let link = format!(",\"@odata.nextLink\":\"{}{token:016x}{:08x}\"", self.next_link, self.page);
            out.raw(link.as_bytes())?;
        }
        out.raw(b"}\n")?;
        self.files.push(out.finish()?);
        Ok(())
    }

    pub(crate) fn push<T: Serialize>(&mut self, value: &T) -> Result<(), SimError> {
        let full = self.current.as_ref().is_some_and(|p| p.out.records >= self.size);
        if full && let Some(page) = self.current.take() {
            self.close(page, true)?;
        }
        let page = match &mut self.current {
            Some(page) => page,
            None => {
                let page = self.open()?;
                self.current.insert(page)
            }
        };
        page.push(value)
    }

    /// Closes the last page (an empty one if nothing was written) and returns every page.
    pub(crate) fn finish(mut self) -> Result<Vec<FileStat>, SimError> {
        let page = match self.current.take() {
            Some(page) => page,
            None => self.open()?,
        };
        self.close(page, false)?;
        Ok(self.files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_split_and_only_the_last_lacks_next_link() {
        let dir = tempfile::tempdir().expect("test value");
        let mut p = Pager::new(
            dir.path(),
            "x",
            "{\"@odata.context\":\"ctx\",\"value\":",
            "https://example/next?$skiptoken=",
            2,
        );
        for i in 0..5 {
            p.push(&i).expect("test value");
        }
        let files = p.finish().expect("test value");
        assert_eq!(files.len(), 3);
        for (i, (path, bytes, records)) in files.iter().enumerate() {
            let text = std::fs::read_to_string(path).expect("test value");
            assert_eq!(text.len() as u64, *bytes);
            let v: serde_json::Value = serde_json::from_str(&text).expect("test value");
            assert_eq!(v["value"].as_array().expect("test value").len() as u64, *records);
            assert_eq!(v.get("@odata.nextLink").is_some(), i < 2);
        }
        let empty = Pager::new(dir.path(), "y", "{\"value\":", "n", 2).finish().expect("test value");
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&empty[0].0).expect("test value")).expect("test value");
        assert_eq!(v["value"].as_array().expect("test value").len(), 0);
    }
}
