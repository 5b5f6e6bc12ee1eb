//! Errors of the generator.

use std::path::PathBuf;

/// Why a data set could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The scenario name is not one of `mace-2025`, `password-spray`, `stale-credential`, `mixed`,
    /// `ad-stale-credential`, `ad-password-spray`, `ad-brute-force`, `ad-mixed`, `hybrid`,
    /// `linux-brute-force`, `linux-spray`, `linux-faillock`, `linux-stale-automation`, `linux-mixed`.
    #[error(
        "unknown scenario {0:?} (expected mace-2025, password-spray, stale-credential, mixed, ad-stale-credential, \
         ad-password-spray, ad-brute-force, ad-mixed, hybrid, linux-brute-force, linux-spray, linux-faillock, \
         linux-stale-automation or linux-mixed)"
    )]
    UnknownScenario(String),
    /// The layout name is not one of `graph`, `diagnostic`, `log-analytics`, `portal`, `mixed`.
    #[error("unknown layout {0:?} (expected graph, diagnostic, log-analytics, portal or mixed)")]
    UnknownLayout(String),
    /// The config cannot be generated (too few users or days, too many records).
    #[error("invalid config: {0}")]
    InvalidConfig(String),
    /// Writing an output file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory being written.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Writing a CSV file failed.
    #[error("{}: {source}", path.display())]
    Csv {
        /// The file being written.
        path: PathBuf,
        /// The underlying error.
        source: csv::Error,
    },
}

impl SimError {
    pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> SimError + '_ {
        move |source| SimError::Io { path: path.to_path_buf(), source }
    }

    pub(crate) fn json(path: &std::path::Path) -> impl FnOnce(serde_json::Error) -> SimError + '_ {
        move |e| SimError::Io { path: path.to_path_buf(), source: std::io::Error::other(e) }
    }

    pub(crate) fn csv(path: &std::path::Path) -> impl FnOnce(csv::Error) -> SimError + '_ {
        move |source| SimError::Csv { path: path.to_path_buf(), source }
    }
}
