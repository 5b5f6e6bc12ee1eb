//! Turning the paths a user gives into readable streams.
//!
//! Paths can be files, directories (walked recursively, in name order so runs are repeatable) or
//! `-` for stdin. Compression is recognised from the bytes, not the name: gzip (also multi-member),
//! zstd, and zip archives (each member becomes its own input, named `archive.zip!member`).
//!
//! Limits that hold on any input:
//! - the walk follows symbolic links but never enters a folder twice: a link back to a folder
//!   being walked (a loop) and a second path to a folder or file already found are reported once,
//!   as [`SourceError::Loop`] and [`SourceError::Duplicate`], and not read again;
//! - decompressed bytes are counted per input, over every layer and archive member together, and
//!   reading stops with an error at [`Limits::max_decompressed`] (a decompression bomb cannot fill
//!   memory or run for hours);
//! - archive members are streamed from the file, never held in memory whole.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Buffer size of every input stream; large enough to sniff a format from the first lines.
const BUF: usize = 256 * 1024;

/// The largest archive accepted from stdin (it must be held in memory to be read).
const MAX_STDIN_ARCHIVE: u64 = 4 * 1024 * 1024 * 1024;

/// The default cap on decompressed bytes per input: 64 GiB.
pub const DEFAULT_MAX_DECOMPRESSED: u64 = 64 * 1024 * 1024 * 1024;

/// Resource limits of reading inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes decompressed from one input (all layers and archive members together);
    /// beyond it reading that input stops with an error naming the limit.
    pub max_decompressed: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_decompressed: DEFAULT_MAX_DECOMPRESSED }
    }
}

/// One input: a file on disk or stdin.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Input {
    /// The name used in reports: the path as given (or found while walking), or `-`.
    pub name: Arc<str>,
    /// The path, or `None` for stdin.
    pub path: Option<PathBuf>,
}

/// A problem with a whole input (as opposed to one record in it).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The path could not be opened or listed.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The archive could not be read.
    #[error("{path}: unreadable archive: {reason}")]
    Archive {
        /// The path.
        path: String,
        /// Why.
        reason: String,
    },
    /// A symbolic link leads back to a folder that is being walked: not followed.
    #[error("{path}: symbolic link loop: leads back to {target}, not followed")]
    Loop {
        /// The link.
        path: String,
        /// The folder it leads back to, as first found.
        target: String,
    },
    /// A second path to a folder or file that was already found: read once.
    #[error("{path}: read once: the same {what} as {first}")]
    Duplicate {
        /// The second path.
        path: String,
        /// `file` or `folder`.
        what: &'static str,
        /// The path it was first found as.
        first: String,
    },
}

impl SourceError {
    /// Whether this is a note about the walk (a loop or a duplicate, nothing left unread) rather
    /// than an input that could not be read.
    pub fn is_skip(&self) -> bool {
        matches!(self, SourceError::Loop { .. } | SourceError::Duplicate { .. })
    }

    /// The path the error is about.
    pub fn path(&self) -> &str {
        match self {
            SourceError::Io { path, .. }
            | SourceError::Archive { path, .. }
            | SourceError::Loop { path, .. }
            | SourceError::Duplicate { path, .. } => path,
        }
    }

    /// The reason, without the path.
    pub fn reason(&self) -> String {
        match self {
            SourceError::Io { source, .. } => source.to_string(),
            SourceError::Archive { reason, .. } => format!("unreadable archive: {reason}"),
            SourceError::Loop { target, .. } => format!("symbolic link loop: leads back to {target}, not followed"),
            SourceError::Duplicate { what, first, .. } => format!("read once: the same {what} as {first}"),
        }
    }
}

/// Expands paths into inputs: directories are walked recursively in name order; hidden files
/// and folders (starting with `.`) inside directories are skipped. Errors are returned beside the
/// inputs that could be found, so one bad path does not stop the run. Symbolic links are followed,
/// but a folder or file is never read twice (see the module docs).
pub fn expand(paths: &[PathBuf]) -> (Vec<Input>, Vec<SourceError>) {
    let mut walk = Walk::default();
    for path in paths {
        if path.as_os_str() == "-" {
            walk.inputs.push(Input { name: Arc::from("-"), path: None });
            continue;
        }
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => walk.dir(path),
            Ok(_) => walk.file(path),
            Err(source) => walk.errors.push(SourceError::Io { path: path.display().to_string(), source }),
        }
    }
    (walk.inputs, walk.errors)
}

fn file_input(path: &Path) -> Input {
    Input { name: Arc::from(path.display().to_string()), path: Some(path.to_path_buf()) }
}

/// The state of a walk: what was found, and every folder and file seen, by canonical path.
#[derive(Default)]
struct Walk {
    inputs: Vec<Input>,
    errors: Vec<SourceError>,
    /// Canonical path of each folder entered → the path it was entered as.
    dirs: HashMap<PathBuf, String>,
    /// Canonical paths of the folders being walked (the current branch).
    branch: Vec<PathBuf>,
    /// Canonical path of each file found → the path it was found as.
    files: HashMap<PathBuf, String>,
}

impl Walk {
    fn file(&mut self, path: &Path) {
        // A path that cannot be made canonical is still read (the open reports what is wrong).
        if let Ok(real) = std::fs::canonicalize(path) {
            if let Some(first) = self.files.get(&real) {
                let first = first.clone();
                self.errors.push(SourceError::Duplicate { path: path.display().to_string(), what: "file", first });
                return;
            }
            self.files.insert(real, path.display().to_string());
        }
        self.inputs.push(file_input(path));
    }

    fn dir(&mut self, dir: &Path) {
        let real = match std::fs::canonicalize(dir) {
            Ok(r) => r,
            Err(source) => {
                self.errors.push(SourceError::Io { path: dir.display().to_string(), source });
                return;
            }
        };
        if let Some(first) = self.dirs.get(&real) {
            let (path, first) = (dir.display().to_string(), first.clone());
            self.errors.push(if self.branch.contains(&real) {
                SourceError::Loop { path, target: first }
            } else {
                SourceError::Duplicate { path, what: "folder", first }
            });
            return;
        }
        self.dirs.insert(real.clone(), dir.display().to_string());
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(source) => {
                self.errors.push(SourceError::Io { path: dir.display().to_string(), source });
                return;
            }
        };
        let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        children.sort();
        self.branch.push(real);
        for child in children {
            if child.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')) {
                continue;
            }
            match std::fs::metadata(&child) {
                Ok(m) if m.is_dir() => self.dir(&child),
                Ok(m) if m.is_file() => self.file(&child),
                Ok(_) => {}
                Err(source) => self.errors.push(SourceError::Io { path: child.display().to_string(), source }),
            }
        }
        self.branch.pop();
    }
}

/// A decompressed, buffered stream with its report name.
pub struct Stream {
    /// The name used in reports (`file`, or `archive.zip!member`).
    pub name: Arc<str>,
    /// The decompressed bytes.
    pub reader: Box<dyn BufRead + Send>,
}

/// What the first bytes say the container is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Container {
    Gzip,
    Zstd,
    Zip,
    Plain,
}

fn container(head: &[u8]) -> Container {
    if head.starts_with(&[0x1f, 0x8b]) {
        Container::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Container::Zstd
    } else if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        Container::Zip
    } else {
        Container::Plain
    }
}

/// Opens an input and calls `each` with every stream in it (one, or one per archive member),
/// with the default [`Limits`]. Members that cannot be read are returned as errors after the
/// others were processed.
pub fn open(input: &Input, each: impl FnMut(Stream)) -> Vec<SourceError> {
    open_with(input, &Limits::default(), each)
}

/// Opens an input under `limits` and calls `each` with every stream in it.
pub fn open_with(input: &Input, limits: &Limits, mut each: impl FnMut(Stream)) -> Vec<SourceError> {
    let name = Arc::clone(&input.name);
    let io_err = |source| SourceError::Io { path: name.to_string(), source };
    let budget = Budget::new(limits.max_decompressed);
    let raw: Box<dyn Read + Send> = match &input.path {
        Some(p) => match File::open(p) {
            Ok(f) => Box::new(f),
            Err(e) => return vec![io_err(e)],
        },
        None => Box::new(io::stdin()),
    };
    let mut buffered = BufReader::with_capacity(BUF, raw);
    let head = match buffered.fill_buf() {
        Ok(h) => h,
        Err(e) => return vec![io_err(e)],
    };
    match container(head) {
        Container::Zip => match &input.path {
            Some(p) => open_zip(&input.name, Archive::File(p.clone()), &budget, &mut each),
            None => {
                let mut bytes = Vec::new();
                if let Err(e) = buffered.take(MAX_STDIN_ARCHIVE).read_to_end(&mut bytes) {
                    return vec![io_err(e)];
                }
                open_zip(&input.name, Archive::Bytes(Arc::new(bytes)), &budget, &mut each)
            }
        },
        _ => {
            each(Stream { name: Arc::clone(&input.name), reader: decompress(buffered, &budget) });
            Vec::new()
        }
    }
}

/// Wraps a stream in the decompressor its first bytes call for (repeatedly: `.json.gz.zst`).
/// Every layer's output is charged to `budget`.
fn decompress(mut r: BufReader<Box<dyn Read + Send>>, budget: &Budget) -> Box<dyn BufRead + Send> {
    for _ in 0..4 {
        let kind = match r.fill_buf() {
            Ok(head) => container(head),
            Err(_) => Container::Plain,
        };
        let inner: Box<dyn Read + Send> = match kind {
            Container::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(r)),
            Container::Zstd => match zstd::stream::read::Decoder::with_buffer(r) {
                Ok(d) => Box::new(d),
                Err(e) => Box::new(FailingReader(Some(e))),
            },
            Container::Zip | Container::Plain => return Box::new(r),
        };
        r = BufReader::with_capacity(BUF, Box::new(budget.charge(inner)));
    }
    Box::new(r)
}

/// A reader that fails once with a stored error (used when a decoder cannot even start).
struct FailingReader(Option<io::Error>);

impl Read for FailingReader {
    fn read(&mut self, _buf: &mut [u8]) -> io::Result<usize> {
        Err(self.0.take().unwrap_or_else(|| io::Error::other("decoder failed")))
    }
}

/// The decompressed bytes one input may still produce, shared by its layers and members.
#[derive(Clone)]
struct Budget {
    limit: u64,
    left: Arc<AtomicU64>,
}

impl Budget {
    fn new(limit: u64) -> Self {
        Budget { limit, left: Arc::new(AtomicU64::new(limit)) }
    }

    /// `inner`, whose output is charged to this budget.
    fn charge<R: Read>(&self, inner: R) -> Capped<R> {
        Capped { inner, budget: self.clone(), tripped: false }
    }
}

/// A decompressor's output, which fails once the input's [`Budget`] is spent.
struct Capped<R> {
    inner: R,
    budget: Budget,
    tripped: bool,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.budget.left.load(Ordering::Relaxed);
        if self.tripped || left == 0 {
            self.tripped = true;
            return Err(io::Error::other(format!(
                "more than {} decompressed (--max-decompressed): stopped reading (a decompression bomb?)",
                human_bytes(self.budget.limit)
            )));
        }
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.budget.left.fetch_sub(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A byte count for people: `64 GiB`, `1.5 MiB`, `512 bytes`.
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if n < 1024 {
        return format!("{n} bytes");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 { format!("{value:.0} {}", UNITS[unit]) } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// Parses a byte count: a number with an optional unit (`k`, `KB`, `KiB`, `M`, `MiB`, `G`,
/// `GiB`, `T`, `TiB`; all binary multiples, any case).
pub fn parse_bytes(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits.parse().map_err(|_| format!("{text:?}: not a size (e.g. 64GiB, 500M, 1048576)"))?;
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        other => return Err(format!("{text:?}: unknown unit {other:?} (use K, M, G or T)")),
    };
    n.checked_mul(1u64 << shift).ok_or_else(|| format!("{text:?}: too large"))
}

/// Where an archive's bytes are: its file (each member is read through its own handle), or
/// memory (an archive read from stdin).
#[derive(Clone)]
enum Archive {
    File(PathBuf),
    Bytes(Arc<Vec<u8>>),
}

/// The bytes of an in-memory archive, shared by its members' readers.
struct SharedBytes(Arc<Vec<u8>>);

impl AsRef<[u8]> for SharedBytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Archive {
    /// A reader positioned at `offset`.
    fn at(&self, offset: u64) -> io::Result<Box<dyn Read + Send>> {
        Ok(match self {
            Archive::File(p) => {
                let mut f = File::open(p)?;
                f.seek(SeekFrom::Start(offset))?;
                Box::new(f)
            }
            Archive::Bytes(b) => {
                let mut c = Cursor::new(SharedBytes(Arc::clone(b)));
                c.set_position(offset);
                Box::new(c)
            }
        })
    }

    fn index(&self) -> zip::result::ZipResult<zip::ZipArchive<Box<dyn ReadSeek>>> {
        let reader: Box<dyn ReadSeek> = match self {
            Archive::File(p) => Box::new(File::open(p)?),
            Archive::Bytes(b) => Box::new(Cursor::new(SharedBytes(Arc::clone(b)))),
        };
        zip::ZipArchive::new(reader)
    }
}

trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// Where one member's data is, and how to check it.
struct Member {
    name: String,
    start: u64,
    compressed: u64,
    size: u64,
    crc: u32,
    method: zip::CompressionMethod,
    encrypted: bool,
}

fn open_zip(name: &Arc<str>, archive: Archive, budget: &Budget, each: &mut impl FnMut(Stream)) -> Vec<SourceError> {
    let mut index = match archive.index() {
        Ok(a) => a,
        Err(e) => return vec![SourceError::Archive { path: name.to_string(), reason: e.to_string() }],
    };
    let mut errors = Vec::new();
    let mut members: Vec<Member> = Vec::new();
    for i in 0..index.len() {
        match index.by_index_raw(i) {
            Ok(f) if f.is_dir() || f.name().ends_with('/') => {}
            Ok(f) => members.push(Member {
                name: f.name().to_string(),
                start: f.data_start(),
                compressed: f.compressed_size(),
                size: f.size(),
                crc: f.crc32(),
                method: f.compression(),
                encrypted: f.encrypted(),
            }),
            Err(e) => errors.push(SourceError::Archive { path: format!("{name}!#{i}"), reason: e.to_string() }),
        }
    }
    members.sort_by(|a, b| a.name.cmp(&b.name).then(a.start.cmp(&b.start)));
    for m in members {
        let member_name: Arc<str> = Arc::from(format!("{name}!{}", m.name));
        match member_reader(&archive, &m, budget) {
            Ok(raw) => {
                let reader = decompress(BufReader::with_capacity(BUF, raw), budget);
                each(Stream { name: member_name, reader });
            }
            Err(reason) => errors.push(SourceError::Archive { path: member_name.to_string(), reason }),
        }
    }
    errors
}

/// A streaming reader of one member's content, checked against its CRC and size at the end.
fn member_reader(archive: &Archive, m: &Member, budget: &Budget) -> Result<Box<dyn Read + Send>, String> {
    if m.encrypted {
        return Err("encrypted member: not read".into());
    }
    let raw = archive.at(m.start).map_err(|e| e.to_string())?.take(m.compressed);
    let content: Box<dyn Read + Send> = match m.method {
        zip::CompressionMethod::Stored => Box::new(raw),
        zip::CompressionMethod::Deflated => Box::new(budget.charge(flate2::read::DeflateDecoder::new(raw))),
        other => return Err(format!("compression method {other:?} is not supported")),
    };
    Ok(Box::new(Checked { inner: flate2::CrcReader::new(content), crc: m.crc, size: m.size }))
}

/// A member's content that fails at its end when the CRC or size does not match the archive's
/// directory (a damaged or truncated archive), instead of passing wrong bytes on silently.
struct Checked<R> {
    inner: flate2::CrcReader<R>,
    crc: u32,
    size: u64,
}

impl<R: Read> Read for Checked<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            let got = self.inner.crc();
            if u64::from(got.amount()) != self.size & 0xffff_ffff || got.sum() != self.crc {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "damaged archive member: {} bytes with CRC {:08x}, the archive says {} bytes with CRC {:08x}",
                        got.amount(),
                        got.sum(),
                        self.size,
                        self.crc
                    ),
                ));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(input: &Input) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let errors = open(input, |mut s| {
            let mut text = String::new();
            let _ = s.reader.read_to_string(&mut text);
            out.push((s.name.to_string(), text));
        });
        assert!(errors.is_empty(), "{errors:?}");
        out
    }

    #[test]
    fn plain_gzip_zstd_and_zip_are_read_by_content() {
        let dir = tempfile::tempdir().expect("tempdir");
        let plain = dir.path().join("a.log");
        std::fs::write(&plain, "hello\n").expect("write");
        // Wrong extensions on purpose: detection is by content.
        let gz = dir.path().join("b.txt");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(b"gzipped\n").expect("gz");
        std::fs::write(&gz, enc.finish().expect("gz")).expect("write");
        let zst = dir.path().join("c.json");
        std::fs::write(&zst, zstd::encode_all(&b"zstd\n"[..], 1).expect("zstd")).expect("write");
        let zipped = dir.path().join("d.bin");
        let mut zw = zip::ZipWriter::new(std::fs::File::create(&zipped).expect("create"));
        let opts = zip::write::SimpleFileOptions::default();
        zw.start_file("inner/two.log", opts).expect("zip");
        zw.write_all(b"two\n").expect("zip");
        zw.start_file("inner/one.log", opts).expect("zip");
        zw.write_all(b"one\n").expect("zip");
        zw.finish().expect("zip");

        let (inputs, errors) = expand(&[dir.path().to_path_buf()]);
        assert!(errors.is_empty());
        let texts: Vec<_> = inputs
            .iter()
            .flat_map(read_all)
            .map(|(n, t)| (n.strip_prefix(&format!("{}/", dir.path().display())).unwrap_or(&n).to_string(), t))
            .collect();
        assert_eq!(
            texts,
            [
                ("a.log".to_string(), "hello\n".to_string()),
                ("b.txt".into(), "gzipped\n".into()),
                ("c.json".into(), "zstd\n".into()),
                ("d.bin!inner/one.log".into(), "one\n".into()),
                ("d.bin!inner/two.log".into(), "two\n".into()),
            ]
        );
    }

    /// One stream read to its end: its name, the bytes read, and the read error if any.
    type Drained = (String, u64, Option<String>);

    /// Reads every stream of `input` under `limits`.
    fn drain(input: &Input, limits: &Limits) -> (Vec<Drained>, Vec<SourceError>) {
        let mut out = Vec::new();
        let errors = open_with(input, limits, |mut s| {
            let got = io::copy(&mut s.reader, &mut io::sink());
            let (n, e) = match got {
                Ok(n) => (n, None),
                Err(e) => (0, Some(e.to_string())),
            };
            out.push((s.name.to_string(), n, e));
        });
        (out, errors)
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_are_reported_once_and_not_followed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("logs");
        std::fs::create_dir_all(root.join("a/b")).expect("mkdir");
        std::fs::write(root.join("a/x.log"), "x\n").expect("write");
        std::os::unix::fs::symlink("..", root.join("a/b/up")).expect("symlink");
        std::os::unix::fs::symlink("../../a", root.join("a/b/again")).expect("symlink");
        // Not a loop: a second path to a folder that is not an ancestor.
        std::fs::create_dir_all(root.join("c")).expect("mkdir");
        std::os::unix::fs::symlink("../a/b", root.join("c/b-too")).expect("symlink");
        let (inputs, errors) = expand(std::slice::from_ref(&root));
        let names: Vec<String> = inputs.iter().map(|i| i.name.to_string()).collect();
        assert_eq!(names, [root.join("a/x.log").display().to_string()]);
        let loops: Vec<String> =
            errors.iter().filter(|e| matches!(e, SourceError::Loop { .. })).map(ToString::to_string).collect();
        assert_eq!(loops.len(), 2, "{errors:?}");
        let want = format!("symbolic link loop: leads back to {}, not followed", root.join("a").display());
        assert!(loops[0].ends_with(&want), "{loops:?}");
        let dups: Vec<&SourceError> = errors.iter().filter(|e| matches!(e, SourceError::Duplicate { .. })).collect();
        assert_eq!(dups.len(), 1, "{errors:?}");
        assert!(errors.iter().all(SourceError::is_skip));
        // The same file given twice is read once.
        let file = root.join("a/x.log");
        let (inputs, errors) = expand(&[file.clone(), root.join("a/b/up/x.log")]);
        assert_eq!(inputs.len(), 1);
        assert!(matches!(&errors[..], [SourceError::Duplicate { what: "file", .. }]), "{errors:?}");
    }

    /// A gzip stream of `members` members, each `chunk` zero bytes: a small file that expands a lot.
    fn gzip_bomb(chunk: usize, members: usize) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        enc.write_all(&vec![0u8; chunk]).expect("gz");
        let member = enc.finish().expect("gz");
        member.repeat(members)
    }

    #[test]
    fn decompression_stops_at_the_limit_with_a_clear_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        // 1 GiB of zeros in about 1 MiB of gzip.
        let bomb = dir.path().join("bomb.log.gz");
        std::fs::write(&bomb, gzip_bomb(16 << 20, 64)).expect("write");
        let limits = Limits { max_decompressed: 4 << 20 };
        let (streams, errors) = drain(&file_input(&bomb), &limits);
        assert!(errors.is_empty(), "{errors:?}");
        let error = streams[0].2.as_deref().expect("the cap must stop the read");
        assert_eq!(error, "more than 4 MiB decompressed (--max-decompressed): stopped reading (a decompression bomb?)");
        // Under the limit, everything is read.
        let (streams, _) = drain(&file_input(&bomb), &Limits { max_decompressed: 2 << 30 });
        assert_eq!((streams[0].1, &streams[0].2), (1 << 30, &None));
    }

    #[test]
    fn zip_members_are_streamed_capped_and_checked() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.zip");
        let mut zw = zip::ZipWriter::new(std::fs::File::create(&path).expect("create"));
        let deflated = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        zw.start_file("big.log", deflated).expect("zip");
        zw.write_all(&vec![b'a'; 8 << 20]).expect("zip");
        zw.start_file("small.log", stored).expect("zip");
        zw.write_all(b"stored bytes\n").expect("zip");
        zw.finish().expect("zip");
        let input = file_input(&path);
        let (streams, errors) = drain(&input, &Limits::default());
        assert!(errors.is_empty(), "{errors:?}");
        let name = path.display();
        assert_eq!(streams, [(format!("{name}!big.log"), 8 << 20, None), (format!("{name}!small.log"), 13, None)]);
        // The members' output together counts against one limit.
        let (streams, _) = drain(&input, &Limits { max_decompressed: 1 << 20 });
        assert!(streams[0].2.as_deref().is_some_and(|e| e.contains("--max-decompressed")), "{streams:?}");
        // A damaged stored member is an error, not silently wrong bytes.
        let mut bytes = std::fs::read(&path).expect("read");
        let at = bytes.windows(12).position(|w| w == b"stored bytes").expect("member data");
        bytes[at] = b'S';
        std::fs::write(&path, &bytes).expect("write");
        let (streams, _) = drain(&input, &Limits::default());
        assert!(
            streams[1].2.as_deref().is_some_and(|e| e.starts_with("damaged archive member: 13 bytes")),
            "{streams:?}"
        );
    }

    #[test]
    fn sizes_parse_and_print() {
        assert_eq!(parse_bytes("64GiB"), Ok(64 << 30));
        assert_eq!(parse_bytes("500M"), Ok(500 << 20));
        assert_eq!(parse_bytes("1048576"), Ok(1 << 20));
        assert_eq!(parse_bytes(" 2 kb "), Ok(2048));
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("5 parsecs").is_err());
        assert!(parse_bytes("99999999999T").is_err());
        assert_eq!(human_bytes(DEFAULT_MAX_DECOMPRESSED), "64 GiB");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(10), "10 bytes");
    }

    #[test]
    fn missing_paths_are_errors_not_panics() {
        let (inputs, errors) = expand(&[PathBuf::from("/definitely/not/here")]);
        assert!(inputs.is_empty());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].to_string().starts_with("/definitely/not/here: "));
    }
}
