//! A secret value that cannot leak by accident: no `Display`, no `Serialize`, and a `Debug` that
//! prints nothing of it. Only [`Secret::expose`] gives the bytes, for `--reveal`.

/// The raw bytes of a found secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub(crate) fn new(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }

    /// The secret itself. Call only where the user asked to see it.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(<{} bytes hidden>)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn debug_hides_the_value() {
        let s = super::Secret::new(b"hunter2");
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
