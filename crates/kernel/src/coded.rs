//! `coded_enum!`: a closed set of stored codes with their Chinese and English names, as every
//! domain crate declares its kinds, statuses and classes.

/// Declares a closed set of stored codes with their Chinese and English names.
///
/// The enum serializes as its code, lists every value in display order (`ALL`), parses a stored
/// or typed code (surrounding blanks ignored) and names itself in both languages. The calling
/// crate must depend on `serde` (with `derive`).
#[macro_export]
macro_rules! coded_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $code)] $v,)+
        }

        impl $name {
            /// Every value, in display order.
            pub const ALL: &'static [$name] = &[$($name::$v),+];

            /// The stored code.
            pub fn code(self) -> &'static str {
                match self { $($name::$v => $code),+ }
            }

            /// Parses a stored or typed code.
            pub fn parse(code: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code.trim())
            }

            /// The Chinese name shown on pages.
            pub fn name_zh(self) -> &'static str {
                match self { $($name::$v => $zh),+ }
            }

            /// The English name shown on pages.
            pub fn name_en(self) -> &'static str {
                match self { $($name::$v => $en),+ }
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::coded_enum! {
        /// A test set.
        Colour {
            Red = "red", "红", "Red";
            Blue = "blue", "蓝", "Blue";
        }
    }

    #[test]
    fn codes_round_trip_and_name_both_languages() {
        assert_eq!(Colour::ALL, &[Colour::Red, Colour::Blue]);
        assert_eq!(Colour::parse(" blue "), Some(Colour::Blue));
        assert_eq!(Colour::parse("green"), None);
        assert_eq!(Colour::Red.code(), "red");
        assert_eq!((Colour::Blue.name_zh(), Colour::Blue.name_en()), ("蓝", "Blue"));
        assert_eq!(
            serde_json::to_string(&Colour::Red).ok().as_deref(),
            Some("\"red\"")
        );
    }
}
