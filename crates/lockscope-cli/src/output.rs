//! The one place that writes to stdout and stderr directly.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;

/// Writes data to stdout.
pub fn data(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Prints an error chain to stderr.
pub fn error(err: &anyhow::Error) {
    eprintln!("lockscope: error: {err}");
    for cause in err.chain().skip(1) {
        eprintln!("  caused by: {cause}");
    }
}

/// Whether the error is a closed stdout (`lockscope … | head`), which is not a failure.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe))
}

/// A note for people on stderr (suppressed by `-q`).
pub fn note(quiet: bool, text: &str) {
    if !quiet {
        eprintln!("{text}");
    }
}

/// A warning on stderr that `-q` does not silence.
pub fn warn(text: &str) {
    eprintln!("{text}");
}
