//! Finds leaked credentials and tokens in bytes, fingerprints them, redacts them in a stream, and
//! reads what tokens say about themselves — all offline. This crate knows nothing of events:
//! `lockscope` turns its findings into evidence.
//!
//! Rules are data (`rules/*.toml`, one file per provider). A literal prefilter finds each rule's
//! keywords; the rule's own bounded regex runs only there; checks (checksums, JWT headers,
//! randomness, placeholders) drop look-alikes; overlapping findings keep the most specific rule.
//! No secret ever reaches `Debug`, errors or output: only fingerprints do.

pub mod check;
mod engine;
pub mod fingerprint;
pub mod randomness;
pub mod redact;
pub mod reference;
mod resolve;
pub mod rule;
pub mod scan;
pub mod secret;
pub mod stream;
pub mod token;

pub use engine::Candidate;
pub use fingerprint::Fingerprinter;
pub use redact::{RedactReport, placeholder};
pub use rule::{Rule, RuleError};
pub use scan::{Leak, ScanOptions, ScanReport};
pub use secret::Secret;
pub use token::TokenInfo;

/// Why a scanner could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A rule file is invalid.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// The keyword automaton could not be built.
    #[error("keyword automaton: {0}")]
    Keywords(#[from] aho_corasick::BuildError),
}

/// The scanner: compiled rules plus the fingerprint key. Cheap to share across threads.
#[derive(Debug)]
pub struct Scanner {
    engine: engine::Engine,
    fingerprints: Fingerprinter,
}

impl Scanner {
    /// The built-in rules, with the fingerprint key from the environment.
    pub fn builtin() -> Result<Self, BuildError> {
        Self::new(rule::builtin()?, Fingerprinter::from_env())
    }

    /// A scanner over the given rules.
    pub fn new(rules: Vec<Rule>, fingerprints: Fingerprinter) -> Result<Self, BuildError> {
        Ok(Self { engine: engine::Engine::new(rules)?, fingerprints })
    }

    /// The rules, in order.
    pub fn rules(&self) -> &[Rule] {
        self.engine.rules()
    }

    /// The fingerprint of a value under this scanner's key.
    pub fn fingerprint(&self, value: &[u8]) -> String {
        self.fingerprints.of(value)
    }
}

/// The bytes of candidate `c` inside a window starting at stream offset `base`.
fn slice<'a>(window: &'a [u8], base: u64, c: &Candidate) -> &'a [u8] {
    let from = usize::try_from(c.start - base).unwrap_or(0);
    let to = usize::try_from(c.end - base).unwrap_or(0);
    window.get(from..to).unwrap_or_default()
}
