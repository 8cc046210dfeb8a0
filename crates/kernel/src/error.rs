//! The one error every typed value in this crate returns when its input is wrong.

/// A value that failed validation, naming the field and why (zh-CN first, English second).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct Invalid {
    /// The input field, as the caller named it (e.g. `id_number`).
    pub field: String,
    /// Why, in both languages: `校验码错误 / wrong check digit`.
    pub reason: String,
}

impl Invalid {
    /// Builds an `Invalid` for `field` with a bilingual `reason`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same failure reported under another field name (a form names fields its own way).
    pub fn for_field(mut self, field: impl Into<String>) -> Self {
        self.field = field.into();
        self
    }
}
