//! Turning the paths a user gives into readable streams.
//!
//! Paths can be files, directories (walked recursively, in name order so runs are repeatable) or
//! `-` for stdin. Compression is recognised from the bytes, not the name: gzip (also multi-member),
//! zstd, and zip archives (each member becomes its own input, named `archive.zip!member`).

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Buffer size of every input stream; large enough to sniff a format from the first lines.
const BUF: usize = 256 * 1024;

/// The largest archive accepted from stdin (it must be held in memory to be read).
const MAX_STDIN_ARCHIVE: u64 = 4 * 1024 * 1024 * 1024;

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
}

/// Expands paths into inputs: directories are walked recursively in name order; hidden files
/// and folders (starting with `.`) inside directories are skipped. Errors are returned beside the
/// inputs that could be found, so one bad path does not stop the run.
pub fn expand(paths: &[PathBuf]) -> (Vec<Input>, Vec<SourceError>) {
    let mut inputs = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            inputs.push(Input { name: Arc::from("-"), path: None });
            continue;
        }
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => walk(path, &mut inputs, &mut errors),
            Ok(_) => inputs.push(file_input(path)),
            Err(source) => errors.push(SourceError::Io { path: path.display().to_string(), source }),
        }
    }
    (inputs, errors)
}

fn file_input(path: &Path) -> Input {
    Input { name: Arc::from(path.display().to_string()), path: Some(path.to_path_buf()) }
}

fn walk(dir: &Path, inputs: &mut Vec<Input>, errors: &mut Vec<SourceError>) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(source) => {
            errors.push(SourceError::Io { path: dir.display().to_string(), source });
            return;
        }
    };
    let mut children: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    children.sort();
    for child in children {
        if child.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.')) {
            continue;
        }
        match std::fs::metadata(&child) {
            Ok(m) if m.is_dir() => walk(&child, inputs, errors),
            Ok(m) if m.is_file() => inputs.push(file_input(&child)),
            Ok(_) => {}
            Err(source) => errors.push(SourceError::Io { path: child.display().to_string(), source }),
        }
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

/// Opens an input and calls `each` with every stream in it (one, or one per archive member).
/// Members that cannot be read are returned as errors after the others were processed.
pub fn open(input: &Input, mut each: impl FnMut(Stream)) -> Vec<SourceError> {
    let name = Arc::clone(&input.name);
    let io_err = |source| SourceError::Io { path: name.to_string(), source };
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
            Some(p) => match File::open(p) {
                Ok(f) => open_zip(&input.name, f, &mut each),
                Err(e) => vec![io_err(e)],
            },
            None => {
                let mut bytes = Vec::new();
                if let Err(e) = buffered.take(MAX_STDIN_ARCHIVE).read_to_end(&mut bytes) {
                    return vec![io_err(e)];
                }
                open_zip(&input.name, Cursor::new(bytes), &mut each)
            }
        },
        _ => {
            each(Stream { name: Arc::clone(&input.name), reader: decompress(buffered) });
            Vec::new()
        }
    }
}

/// Wraps a stream in the decompressor its first bytes call for (repeatedly: `.json.gz.zst`).
fn decompress(mut r: BufReader<Box<dyn Read + Send>>) -> Box<dyn BufRead + Send> {
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
        r = BufReader::with_capacity(BUF, inner);
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

fn open_zip<R: Read + Seek>(name: &Arc<str>, reader: R, each: &mut impl FnMut(Stream)) -> Vec<SourceError> {
    let mut archive = match zip::ZipArchive::new(reader) {
        Ok(a) => a,
        Err(e) => return vec![SourceError::Archive { path: name.to_string(), reason: e.to_string() }],
    };
    let mut errors = Vec::new();
    let mut names: Vec<(String, usize)> =
        (0..archive.len()).filter_map(|i| archive.by_index_raw(i).ok().map(|f| (f.name().to_string(), i))).collect();
    names.sort();
    for (member, index) in names {
        if member.ends_with('/') {
            continue;
        }
        let member_name: Arc<str> = Arc::from(format!("{name}!{member}"));
        // Members are read fully before parsing: a zip member cannot be borrowed across calls.
        let bytes = archive.by_index(index).map_err(|e| e.to_string()).and_then(|mut f| {
            let mut buf = Vec::new();
            f.read_to_end(&mut buf).map(|_| buf).map_err(|e| e.to_string())
        });
        match bytes {
            Ok(bytes) => {
                let raw: Box<dyn Read + Send> = Box::new(Cursor::new(bytes));
                let reader = decompress(BufReader::with_capacity(BUF, raw));
                each(Stream { name: member_name, reader });
            }
            Err(reason) => errors.push(SourceError::Archive { path: member_name.to_string(), reason }),
        }
    }
    errors
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

    #[test]
    fn missing_paths_are_errors_not_panics() {
        let (inputs, errors) = expand(&[PathBuf::from("/definitely/not/here")]);
        assert!(inputs.is_empty());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].to_string().starts_with("/definitely/not/here: "));
    }
}
