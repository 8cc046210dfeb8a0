//! Department exports as they arrive: GBK from a Chinese-Windows system, UTF-8 with Excel's BOM,
//! binaries uploaded by mistake, and files too large to hold in memory.

use std::io::{self, BufRead, Read};
use tongban_text::{DecodingReader, Encoding, Error, decode};

fn gbk(s: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(s);
    assert!(!unmappable, "test text must be encodable in GBK");
    bytes.into_owned()
}

fn read_all<R: Read>(reader: R) -> (String, Encoding, u64) {
    let mut r = DecodingReader::new(reader).unwrap_or_else(|e| panic!("open: {e}"));
    let mut s = String::new();
    r.read_to_string(&mut s).unwrap_or_else(|e| panic!("read: {e}"));
    (s, r.encoding(), r.replacements())
}

/// A reader that hands out at most `max` bytes per call and sometimes says `Interrupted`,
/// as pipes and sockets do.
struct Trickle<'a> {
    data: &'a [u8],
    max: usize,
    calls: usize,
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.calls += 1;
        if self.calls.is_multiple_of(5) {
            return Err(io::Error::from(io::ErrorKind::Interrupted));
        }
        let n = self.data.len().min(buf.len()).min(self.max);
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        Ok(n)
    }
}

/// Reads through `r` into a String with a small caller buffer.
fn read_in_chunks<R: Read>(mut r: R, chunk: usize) -> String {
    let mut out = Vec::new();
    let mut buf = vec![0u8; chunk];
    loop {
        match r.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("read: {e}"),
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| panic!("not UTF-8: {e}"))
}

const CSV: &str = "姓名,性别,身份证号,联系电话,住址\n张三,男,11010519491231002X,13800138000,北京市朝阳区建国路１号\n李四,女,110105491231002,0571-87654321,杭州市西湖区\n";

#[test]
fn a_gbk_csv_is_read_as_gb18030() {
    let bytes = gbk(CSV);
    let (text, encoding, replacements) = read_all(&bytes[..]);
    assert_eq!(
        (text.as_str(), encoding, replacements),
        (CSV, Encoding::Gb18030, 0)
    );
    let d = decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((d.text.as_ref(), d.encoding), (CSV, Encoding::Gb18030));
}

#[test]
fn a_utf8_csv_with_a_bom_is_read_without_it() {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend(CSV.as_bytes());
    let (text, encoding, _) = read_all(&bytes[..]);
    assert_eq!((text.as_str(), encoding), (CSV, Encoding::Utf8));
}

#[test]
fn a_binary_upload_is_not_text() {
    // The start of a zip archive (an .xlsx), and of a PNG.
    for blob in [
        &b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"[..],
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    ] {
        match DecodingReader::new(blob) {
            Err(Error::NotText { reason }) => {
                assert!(reason.to_string().contains(" / "), "bilingual: {reason}")
            }
            other => panic!("expected NotText, got {other:?}"),
        }
        assert!(matches!(decode(blob), Err(Error::NotText { .. })));
    }
}

/// About 1 MB of GBK rows (many times the reader's buffer), varied so chunk boundaries fall
/// inside two-byte characters.
fn large_gbk_csv() -> (String, Vec<u8>) {
    let names = ["张三", "李四", "王五", "赵六", "欧阳娜娜", "钱七"];
    let mut text = String::from("序号,姓名,住址,备注\n");
    for i in 0..20_000 {
        text.push_str(&format!(
            "{i},{},浙江省杭州市西湖区文三路{}号,{}\n",
            names[i % names.len()],
            i % 997,
            "备".repeat(i % 7)
        ));
    }
    let bytes = gbk(&text);
    (text, bytes)
}

#[test]
fn a_large_gbk_stream_read_in_small_chunks_equals_the_direct_decode() {
    let (text, bytes) = large_gbk_csv();
    assert!(bytes.len() > 800_000);
    let direct = decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(direct.text, text);

    let trickle = Trickle {
        data: &bytes,
        max: 7,
        calls: 0,
    };
    let mut reader = DecodingReader::new(trickle).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reader.encoding(), Encoding::Gb18030);
    let mut out = Vec::new();
    let mut buf = [0u8; 13];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => panic!("read: {e}"),
        }
    }
    assert!(
        out == text.as_bytes(),
        "streamed text differs from the direct decode"
    );
    assert_eq!(reader.replacements(), 0);
}

#[test]
fn lines_can_be_read_straight_from_the_reader() {
    let (text, bytes) = large_gbk_csv();
    let reader = DecodingReader::new(&bytes[..]).unwrap_or_else(|e| panic!("{e}"));
    let lines: Vec<String> = reader
        .lines()
        .map(|l| l.unwrap_or_else(|e| panic!("{e}")))
        .collect();
    assert_eq!(lines.len(), text.lines().count());
    assert_eq!(lines[1], "0,张三,浙江省杭州市西湖区文三路0号,");
}

#[test]
fn a_file_ascii_for_its_first_chunk_is_decided_by_its_first_chinese_byte() {
    let mut text = "id,amount\n".repeat(10_000);
    text.push_str("10001,三万五千\n");
    let bytes = gbk(&text);
    let mut reader = DecodingReader::new(&bytes[..]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reader.encoding(), Encoding::Utf8, "undecided: pure ASCII so far");
    let mut out = String::new();
    reader.read_to_string(&mut out).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reader.encoding(), Encoding::Gb18030);
    assert_eq!(out, text);
    assert_eq!(decode(&bytes).map(|d| d.text.into_owned()).ok(), Some(text));
}

#[test]
fn invalid_utf8_late_in_a_utf8_file_is_replaced_and_counted_the_same_both_ways() {
    let mut bytes = "姓名,住址\n".as_bytes().to_vec();
    for i in 0..40_000 {
        bytes.extend(format!("张三{i},北京市\n").as_bytes());
    }
    bytes.extend([0xFF, b',', 0xC3, b'\n', 0xE5, 0xBC]);
    let d = decode(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((d.encoding, d.replacements), (Encoding::Utf8, 3));
    assert!(d.text.ends_with("\u{FFFD},\u{FFFD}\n\u{FFFD}"));
    for chunk in [1, 3, 4096] {
        let trickle = Trickle {
            data: &bytes,
            max: chunk,
            calls: 0,
        };
        let reader = DecodingReader::new(trickle).unwrap_or_else(|e| panic!("{e}"));
        assert!(read_in_chunks(reader, 5) == d.text, "chunk {chunk}");
    }
    let (_, _, replacements) = read_all(&bytes[..]);
    assert_eq!(replacements, 3);
}

#[test]
fn a_failing_source_surfaces_as_an_io_error() {
    struct Broken(usize);
    impl Read for Broken {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0 == 0 {
                return Err(io::Error::other("disk gone"));
            }
            self.0 -= 1;
            buf.fill(b'a');
            Ok(buf.len())
        }
    }
    assert!(matches!(DecodingReader::new(Broken(0)), Err(Error::Io(_))));
    // One good read fills the first chunk; the failure comes while streaming.
    let mut reader = DecodingReader::new(Broken(1)).unwrap_or_else(|e| panic!("{e}"));
    let mut s = String::new();
    let e = reader.read_to_string(&mut s).map(|_| ()).unwrap_err();
    assert!(matches!(Error::from(e), Error::Io(io) if io.to_string() == "disk gone"));
}

#[test]
fn utf16_with_a_bom_streams_too() {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(CSV.encode_utf16().flat_map(u16::to_le_bytes));
    let trickle = Trickle {
        data: &bytes,
        max: 3,
        calls: 0,
    };
    let reader = DecodingReader::new(trickle).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(reader.encoding(), Encoding::Utf16Le);
    assert_eq!(read_in_chunks(reader, 2), CSV);
}

#[test]
fn fill_buf_and_consume_hand_out_the_same_text() {
    let bytes = gbk(CSV);
    let mut reader = DecodingReader::new(&bytes[..]).unwrap_or_else(|e| panic!("{e}"));
    let mut out = Vec::new();
    loop {
        let buf = reader.fill_buf().unwrap_or_else(|e| panic!("{e}"));
        if buf.is_empty() {
            break;
        }
        let n = buf.len().min(5);
        out.extend_from_slice(&buf[..n]);
        reader.consume(n);
    }
    assert_eq!(out, CSV.as_bytes());
}
