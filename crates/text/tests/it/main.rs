//! Reading real files through the public API: GBK and UTF-8 exports through `DecodingReader`,
//! and every function fed odd input without panicking.

mod encoding;
mod robustness;
