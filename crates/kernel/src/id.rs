//! Typed ids: UUIDv7 (time-ordered) stored as text, one newtype per kind of object.

use crate::msg;

/// Declares a newtype id around a UUIDv7 string form.
#[macro_export]
macro_rules! define_id {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self($crate::id::new_uuid_v7())
            }
            /// Parses an id received from outside, refusing anything that is not a UUID.
            pub fn parse(field: &str, text: &str) -> Result<Self, $crate::Invalid> {
                $crate::id::check_uuid(field, text).map(Self)
            }
            /// The text form, as stored.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl $crate::id::TypedId for $name {
            fn parse_text(text: &str) -> Option<Self> {
                Self::parse("id", text).ok()
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// An id of one kind of object, as received from outside (a path, a form).
pub trait TypedId: Sized {
    /// The id `text` names, or `None` when it is not an id.
    fn parse_text(text: &str) -> Option<Self>;
}

/// A new UUIDv7 in its hyphenated lower-case text form.
pub fn new_uuid_v7() -> String {
    uuid::Uuid::now_v7().hyphenated().to_string()
}

/// Checks that `text` is a UUID and returns its canonical form.
pub fn check_uuid(field: &str, text: &str) -> Result<String, crate::Invalid> {
    uuid::Uuid::try_parse(text.trim())
        .map(|u| u.hyphenated().to_string())
        .map_err(|_| crate::Invalid::new(field, msg!("not-valid-id")))
}

#[cfg(test)]
mod tests {
    define_id!(ThingId);

    #[test]
    fn ids_are_time_ordered_and_parse_back() {
        let a = ThingId::new();
        let b = ThingId::new();
        assert!(a < b);
        assert_eq!(ThingId::parse("thing", a.as_str()), Ok(a));
    }

    #[test]
    fn a_forged_id_is_refused_naming_the_field() {
        let err = ThingId::parse("thing_id", "1 OR 1=1").unwrap_err();
        assert_eq!(err.field, "thing_id");
    }
}
