//! Reading the CSV and text files departments export, whatever encoding their system wrote:
//! UTF-8 (with or without the BOM Excel adds), GB18030 — the superset of GBK and GB2312 that
//! Chinese Windows and most legacy government systems still write — and UTF-16 when it starts
//! with a BOM (Excel's "Unicode text").
//!
//! Detection looks at bytes, never at a file name:
//! 1. A BOM decides at once.
//! 2. The first [`DETECT_LEN`] bytes are refused as [`Error::NotText`] when they hold a NUL byte
//!    or more than 5% control characters (a spreadsheet, an archive, an image).
//! 3. ASCII reads the same in every candidate, so the decision waits for the first non-ASCII
//!    byte and looks at the [`DETECT_LEN`] bytes from there: valid UTF-8 (or UTF-8 with a few
//!    corrupt sequences among many good ones) is UTF-8; otherwise GB18030 when at most 5% of
//!    its characters are malformed; otherwise the bytes are not text we can read.
//!
//! Malformed sequences later in a file become U+FFFD and are counted, never a panic.
//! [`decode`] and [`DecodingReader`] apply the same rules, so they produce the same text.

use tongban_kernel::{Msg, msg};

mod reader;

use crate::Error;
use encoding_rs::{Decoder, DecoderResult, GB18030, UTF_16BE, UTF_16LE};
use std::borrow::Cow;

pub use reader::DecodingReader;

/// How many bytes decide: the first chunk checked for binary content, and the window after the
/// first non-ASCII byte that chooses between UTF-8 and GB18030.
pub const DETECT_LEN: usize = 64 * 1024;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
fn not_text_nul() -> Msg {
    msg!("contains-nul-bytes")
}
fn not_text_control() -> Msg {
    msg!("too-many-control-characters")
}
fn not_text_unknown() -> Msg {
    msg!("neither-utf-8-nor")
}

/// The encoding a file was read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    /// UTF-8, with or without a BOM (and plain ASCII).
    Utf8,
    /// GB18030 (国家标准 GB 18030), which also reads GBK and GB2312.
    Gb18030,
    /// UTF-16 little-endian, recognised only by its BOM.
    Utf16Le,
    /// UTF-16 big-endian, recognised only by its BOM.
    Utf16Be,
}

impl Encoding {
    /// The WHATWG label: `UTF-8`, `gb18030`, `UTF-16LE`, `UTF-16BE`.
    pub fn name(self) -> &'static str {
        self.decoder_encoding()
            .map_or("UTF-8", encoding_rs::Encoding::name)
    }

    fn decoder_encoding(self) -> Option<&'static encoding_rs::Encoding> {
        match self {
            Encoding::Utf8 => None,
            Encoding::Gb18030 => Some(GB18030),
            Encoding::Utf16Le => Some(UTF_16LE),
            Encoding::Utf16Be => Some(UTF_16BE),
        }
    }
}

/// Text decoded from a whole buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// The text, borrowed from the input when it was clean UTF-8 (BOM removed).
    pub text: Cow<'a, str>,
    /// The encoding it was read in.
    pub encoding: Encoding,
    /// How many malformed sequences were replaced with U+FFFD.
    pub replacements: u64,
}

/// The encoding a BOM announces, and the BOM's length.
fn bom(bytes: &[u8]) -> Option<(Encoding, usize)> {
    if bytes.starts_with(UTF8_BOM) {
        Some((Encoding::Utf8, UTF8_BOM.len()))
    } else if bytes.starts_with(b"\xFF\xFE") {
        Some((Encoding::Utf16Le, 2))
    } else if bytes.starts_with(b"\xFE\xFF") {
        Some((Encoding::Utf16Be, 2))
    } else {
        None
    }
}

/// Why the first chunk of a file is binary, if it is.
fn binary_reason(first: &[u8]) -> Option<Msg> {
    if first.contains(&0) {
        return Some(not_text_nul());
    }
    // Tab, line feed, carriage return and form feed are text; other C0 controls and DEL are not.
    let controls = first
        .iter()
        .filter(|&&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C)) || b == 0x7F)
        .count();
    (controls.saturating_mul(20) > first.len()).then_some(not_text_control())
}

/// Chooses UTF-8 or GB18030 from a window that starts at the first non-ASCII byte.
/// `complete` says the window reaches the end of the input (else a cut-off character at its end
/// is not an error).
fn sniff(window: &[u8], complete: bool) -> Result<Encoding, Error> {
    let (multibyte, invalid) = utf8_census(window, complete);
    // A few corrupt bytes among many good characters is still a UTF-8 file; GB18030 text is
    // almost never valid UTF-8 for more than a couple of characters.
    if invalid == 0 || (multibyte >= 4 && multibyte >= 8 * invalid) {
        return Ok(Encoding::Utf8);
    }
    let (chars, malformed) = gb18030_census(window, complete);
    if malformed.saturating_mul(20) <= chars {
        Ok(Encoding::Gb18030)
    } else {
        Err(Error::NotText {
            reason: not_text_unknown(),
        })
    }
}

/// (valid multi-byte characters, invalid sequences) when `bytes` is read as UTF-8.
fn utf8_census(mut bytes: &[u8], complete: bool) -> (usize, usize) {
    let (mut multibyte, mut invalid) = (0, 0);
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => return (multibyte + count_multibyte(s.as_bytes()), invalid),
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                multibyte += count_multibyte(valid);
                match e.error_len() {
                    Some(n) => {
                        invalid += 1;
                        bytes = rest.get(n..).unwrap_or_default();
                    }
                    None => return (multibyte, invalid + usize::from(complete)),
                }
            }
        }
    }
}

/// Lead bytes of multi-byte UTF-8 characters in valid UTF-8.
fn count_multibyte(valid: &[u8]) -> usize {
    valid.iter().filter(|&&b| b >= 0xC0).count()
}

/// (non-ASCII characters, malformed sequences) when `bytes` is read as GB18030.
fn gb18030_census(bytes: &[u8], complete: bool) -> (usize, usize) {
    let mut decoder = GB18030.new_decoder_without_bom_handling();
    let mut scratch = [0u8; 4096];
    let (mut read, mut chars, mut malformed) = (0, 0, 0);
    loop {
        let (result, n, written) =
            decoder.decode_to_utf8_without_replacement(&bytes[read..], &mut scratch, complete);
        read += n;
        chars += scratch.get(..written).map_or(0, count_multibyte);
        match result {
            DecoderResult::InputEmpty => return (chars, malformed),
            DecoderResult::OutputFull => {}
            DecoderResult::Malformed(..) => malformed += 1,
        }
    }
}

/// The encoding of a file from its first bytes (give at least [`DETECT_LEN`] when the file has
/// that many). Bytes that are all ASCII report [`Encoding::Utf8`].
pub fn detect(first: &[u8]) -> Result<Encoding, Error> {
    if let Some((encoding, len)) = bom(first) {
        if encoding == Encoding::Utf8 {
            check_not_binary(&first[len..])?;
        }
        return Ok(encoding);
    }
    check_not_binary(first)?;
    match first.iter().position(|b| !b.is_ascii()) {
        None => Ok(Encoding::Utf8),
        Some(p) => sniff(window_at(first, p), false),
    }
}

fn check_not_binary(body: &[u8]) -> Result<(), Error> {
    match binary_reason(&body[..body.len().min(DETECT_LEN)]) {
        Some(reason) => Err(Error::NotText { reason }),
        None => Ok(()),
    }
}

fn window_at(bytes: &[u8], start: usize) -> &[u8] {
    let end = bytes.len().min(start.saturating_add(DETECT_LEN));
    bytes.get(start..end).unwrap_or_default()
}

/// Decodes a whole buffer to UTF-8 (see the module notes for how the encoding is chosen).
/// Clean UTF-8 comes back borrowed, without its BOM.
pub fn decode(bytes: &[u8]) -> Result<Decoded<'_>, Error> {
    let (encoding, body) = match bom(bytes) {
        Some((encoding, len)) => {
            let body = &bytes[len..];
            if encoding == Encoding::Utf8 {
                check_not_binary(body)?;
            }
            (encoding, body)
        }
        None => {
            check_not_binary(bytes)?;
            let encoding = match bytes.iter().position(|b| !b.is_ascii()) {
                None => Encoding::Utf8,
                Some(p) => {
                    let window = window_at(bytes, p);
                    sniff(window, p + window.len() == bytes.len())?
                }
            };
            (encoding, bytes)
        }
    };
    let (text, replacements) = match encoding.decoder_encoding() {
        None => match std::str::from_utf8(body) {
            Ok(s) => (Cow::Borrowed(s), 0),
            Err(_) => {
                let (s, n) = utf8_lossy(body);
                (Cow::Owned(s), n)
            }
        },
        Some(enc) => {
            let (s, n) = decode_all(enc.new_decoder_without_bom_handling(), body);
            (Cow::Owned(s), n)
        }
    };
    Ok(Decoded {
        text,
        encoding,
        replacements,
    })
}

/// UTF-8 with each maximal invalid subpart replaced by one U+FFFD, and how many there were.
fn utf8_lossy(bytes: &[u8]) -> (String, u64) {
    let mut out = String::with_capacity(bytes.len() + 16);
    let mut replaced = 0u64;
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            out.push(char::REPLACEMENT_CHARACTER);
            replaced += 1;
        }
    }
    (out, replaced)
}

/// Decodes `src` as the end of a stream into `out`, counting replacements. Returns bytes read.
fn decode_into(decoder: &mut Decoder, src: &[u8], out: &mut String, last: bool, replaced: &mut u64) -> usize {
    let mut read = 0;
    loop {
        let (result, n) = decoder.decode_to_string_without_replacement(&src[read..], out, last);
        read += n;
        match result {
            DecoderResult::InputEmpty => return read,
            DecoderResult::OutputFull => {
                let need = decoder
                    .max_utf8_buffer_length_without_replacement(src.len() - read)
                    .unwrap_or(src.len() - read);
                out.reserve(need.max(16));
            }
            DecoderResult::Malformed(..) => {
                out.push(char::REPLACEMENT_CHARACTER);
                *replaced += 1;
            }
        }
    }
}

fn decode_all(mut decoder: Decoder, body: &[u8]) -> (String, u64) {
    let mut out = String::with_capacity(
        decoder
            .max_utf8_buffer_length_without_replacement(body.len())
            .unwrap_or(body.len()),
    );
    let mut replaced = 0;
    decode_into(&mut decoder, body, &mut out, true, &mut replaced);
    (out, replaced)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    fn gbk(s: &str) -> Vec<u8> {
        GB18030.encode(s).0.into_owned()
    }

    #[test]
    fn clean_utf8_is_borrowed_and_its_bom_removed() {
        let d = decode("\u{FEFF}姓名,性别\n张三,男\n".as_bytes()).unwrap();
        assert_eq!(d.text, "姓名,性别\n张三,男\n");
        assert!(matches!(d.text, Cow::Borrowed(_)));
        assert_eq!((d.encoding, d.replacements), (Encoding::Utf8, 0));
    }

    #[test]
    fn gbk_bytes_are_read_as_gb18030() {
        let bytes = gbk("姓名,身份证号\n张三,11010519491231002X\n");
        assert!(std::str::from_utf8(&bytes).is_err());
        let d = decode(&bytes).unwrap();
        assert_eq!(d.encoding, Encoding::Gb18030);
        assert_eq!(d.text, "姓名,身份证号\n张三,11010519491231002X\n");
        assert_eq!(detect(&bytes).unwrap(), Encoding::Gb18030);
    }

    #[test]
    fn gb18030_four_byte_characters_decode() {
        // U+20BB7 𠮷 and the euro sign need GB18030's four-byte forms.
        let bytes = gbk("吉𠮷€");
        let d = decode(&bytes).unwrap();
        assert_eq!((d.text.as_ref(), d.encoding), ("吉𠮷€", Encoding::Gb18030));
    }

    #[test]
    fn the_decision_waits_for_the_first_non_ascii_byte() {
        let mut bytes = "id,value\n".repeat(20_000).into_bytes();
        assert!(bytes.len() > DETECT_LEN);
        bytes.extend(gbk("张三\n"));
        let d = decode(&bytes).unwrap();
        assert_eq!(d.encoding, Encoding::Gb18030);
        assert!(d.text.ends_with("张三\n"));
    }

    #[test]
    fn nul_bytes_and_control_characters_are_not_text() {
        let nul = decode(b"PK\x03\x04\x00\x00zip").unwrap_err();
        assert!(matches!(nul, Error::NotText { reason } if reason == not_text_nul()));
        let controls = decode(b"\x01\x02\x03\x04abc").unwrap_err();
        assert!(matches!(controls, Error::NotText { reason } if reason == not_text_control()));
        assert!(decode(b"a\tb\r\nc\x0c").is_ok());
    }

    #[test]
    fn bytes_that_are_neither_utf8_nor_gb18030_are_not_text() {
        // 0x80 and 0xFF are never valid GB18030 lead bytes.
        let e = decode(&[0x80, 0xFF, 0x80, 0xFF, b'a', 0x80]).unwrap_err();
        assert!(matches!(e, Error::NotText { reason } if reason == not_text_unknown()));
    }

    #[test]
    fn a_few_bad_bytes_in_utf8_are_replaced_and_counted() {
        let mut bytes = "张三李四王五赵六".as_bytes().to_vec();
        bytes.push(0xFF);
        bytes.extend("钱七".as_bytes());
        let d = decode(&bytes).unwrap();
        assert_eq!(d.encoding, Encoding::Utf8);
        assert_eq!(d.text, "张三李四王五赵六\u{FFFD}钱七");
        assert_eq!(d.replacements, 1);
    }

    #[test]
    fn utf16_is_read_when_it_has_a_bom() {
        let mut le = vec![0xFF, 0xFE];
        le.extend("姓名\n".encode_utf16().flat_map(u16::to_le_bytes));
        let d = decode(&le).unwrap();
        assert_eq!((d.text.as_ref(), d.encoding), ("姓名\n", Encoding::Utf16Le));
        let mut be = vec![0xFE, 0xFF];
        be.extend("姓名".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&be).unwrap().text, "姓名");
    }

    #[test]
    fn empty_input_is_empty_utf8_text() {
        let d = decode(b"").unwrap();
        assert_eq!((d.text.as_ref(), d.encoding), ("", Encoding::Utf8));
        let mut r = DecodingReader::new(&b""[..]).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!(s, "");
    }

    #[test]
    fn a_character_cut_by_the_end_of_the_file_becomes_one_replacement() {
        let mut bytes = "张三李四王五赵六".as_bytes().to_vec();
        bytes.extend(&"钱".as_bytes()[..2]);
        let d = decode(&bytes).unwrap();
        assert_eq!((d.text.as_ref(), d.replacements), ("张三李四王五赵六\u{FFFD}", 1));
        let mut r = DecodingReader::new(&bytes[..]).unwrap();
        let mut s = String::new();
        r.read_to_string(&mut s).unwrap();
        assert_eq!((s.as_str(), r.replacements()), ("张三李四王五赵六\u{FFFD}", 1));
    }

    #[test]
    fn a_late_not_text_error_comes_back_as_not_text() {
        let mut bytes = "a,b\n".repeat(DETECT_LEN / 2).into_bytes();
        bytes.extend([0x80, 0xFF, 0x80, 0xFF, 0x80, 0xFF]);
        let mut r = DecodingReader::new(&bytes[..]).unwrap();
        let mut s = String::new();
        let e = Error::from(r.read_to_string(&mut s).unwrap_err());
        assert!(matches!(e, Error::NotText { reason } if reason == not_text_unknown()));
    }
}
