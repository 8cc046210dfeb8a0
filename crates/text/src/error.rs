//! Errors of reading bytes as text. Problems with one value are a kernel [`Invalid`]
//! (field + bilingual reason); this enum is only for a whole file or stream.
//!
//! [`Invalid`]: tongban_kernel::Invalid

/// Why bytes could not be read as text.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The bytes are not text in an encoding we read (binary, or neither UTF-8 nor GB18030).
    #[error("不是文本文件 / not a text file: {reason}")]
    NotText {
        /// Why, in both languages: `含空字节 / contains NUL bytes`.
        reason: &'static str,
    },
    /// The underlying reader failed.
    #[error("读取失败 / read failed: {0}")]
    Io(std::io::Error),
}

impl From<std::io::Error> for Error {
    /// Unwraps our own error when it travelled through `std::io::Read` (as `DecodingReader`'s
    /// late `NotText` does), so callers see `NotText` rather than an opaque I/O error.
    fn from(e: std::io::Error) -> Self {
        if !e.get_ref().is_some_and(|inner| inner.is::<Error>()) {
            return Error::Io(e);
        }
        let kind = e.kind();
        match e.into_inner().map(|inner| inner.downcast::<Error>()) {
            Some(Ok(ours)) => *ours,
            Some(Err(other)) => Error::Io(std::io::Error::new(kind, other)),
            None => Error::Io(std::io::Error::from(kind)),
        }
    }
}

impl From<Error> for std::io::Error {
    fn from(e: Error) -> Self {
        match e {
            Error::Io(io) => io,
            not_text => std::io::Error::new(std::io::ErrorKind::InvalidData, not_text),
        }
    }
}
