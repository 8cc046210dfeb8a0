//! [`DecodingReader`]: the streaming form of [`decode`](super::decode), for files too large to
//! hold in memory. It applies the same detection rules and yields the same text.

use super::{DETECT_LEN, Encoding, UTF8_BOM, bom, check_not_binary, decode_into, sniff, window_at};
use crate::Error;
use encoding_rs::Decoder;
use std::io::{self, BufRead, Read};

/// Bytes decoded per step, which bounds the reader's memory to a few hundred KiB.
const STEP: usize = 64 * 1024;
/// Below this many buffered bytes the reader reads more before decoding.
const MIN_AVAIL: usize = 4096;
const RAW_CAP: usize = 2 * DETECT_LEN + STEP;

enum State {
    /// Only ASCII so far: passed through until the first non-ASCII byte decides.
    Undecided,
    Utf8,
    Decoding(Decoder),
    Done,
}

/// A reader that yields UTF-8 from a file in any encoding [`decode`](super::decode) reads, holding only a few
/// hundred KiB however large the file (a 1 GB GBK export never sits in memory).
///
/// A late `NotText` (the first non-ASCII byte comes after the first chunk and is not text)
/// surfaces as an `io::Error` of kind `InvalidData`; `Error::from` turns it back into
/// [`Error::NotText`].
pub struct DecodingReader<R> {
    inner: R,
    /// Undecoded bytes are `raw[raw_pos..raw_end]`; the buffer is allocated once.
    raw: Vec<u8>,
    raw_pos: usize,
    raw_end: usize,
    eof: bool,
    out: String,
    out_pos: usize,
    state: State,
    encoding: Encoding,
    replacements: u64,
}

impl<R: Read> DecodingReader<R> {
    /// Reads the first chunk of `inner`, refuses binary content, and decides the encoding when
    /// that chunk holds a non-ASCII byte.
    pub fn new(inner: R) -> Result<Self, Error> {
        let mut reader = Self {
            inner,
            raw: vec![0; RAW_CAP],
            raw_pos: 0,
            raw_end: 0,
            eof: false,
            out: String::with_capacity(STEP + STEP / 2),
            out_pos: 0,
            state: State::Undecided,
            encoding: Encoding::Utf8,
            replacements: 0,
        };
        reader.fill_until(DETECT_LEN + UTF8_BOM.len())?;
        let first = &reader.raw[..reader.raw_end];
        match bom(first) {
            Some((Encoding::Utf8, len)) => {
                check_not_binary(&first[len..])?;
                reader.raw_pos = len;
                reader.state = State::Utf8;
            }
            Some((encoding, len)) => reader.start_decoding(encoding, len),
            None => {
                check_not_binary(first)?;
                // Decide now when the first chunk already holds non-ASCII, as most files do.
                let chunk = &first[..first.len().min(DETECT_LEN)];
                if let Some(p) = chunk.iter().position(|b| !b.is_ascii()) {
                    reader.fill_until(p + DETECT_LEN + 1)?;
                    let window = window_at(&reader.raw[..reader.raw_end], p);
                    let complete = reader.eof && p + window.len() == reader.raw_end;
                    let encoding = sniff(window, complete)?;
                    reader.start_decoding(encoding, 0);
                }
            }
        }
        Ok(reader)
    }

    /// The encoding being read. A file whose first chunk is pure ASCII reports UTF-8 until its
    /// first non-ASCII byte decides.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// How many malformed sequences have been replaced with U+FFFD so far.
    pub fn replacements(&self) -> u64 {
        self.replacements
    }

    /// The wrapped reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn start_decoding(&mut self, encoding: Encoding, skip: usize) {
        self.raw_pos += skip;
        self.encoding = encoding;
        self.state = match encoding.decoder_encoding() {
            Some(enc) => State::Decoding(enc.new_decoder_without_bom_handling()),
            None => State::Utf8,
        };
    }

    fn available(&self) -> usize {
        self.raw_end - self.raw_pos
    }

    /// One `read` of the inner reader appended after the unread bytes. Unread bytes move to the
    /// front only when the space behind them runs short, so tiny reads stay cheap.
    fn fill_once(&mut self) -> io::Result<()> {
        if self.raw.len() - self.raw_end < MIN_AVAIL {
            self.raw.copy_within(self.raw_pos..self.raw_end, 0);
            self.raw_end -= self.raw_pos;
            self.raw_pos = 0;
            if self.raw.len() - self.raw_end < MIN_AVAIL {
                // Callers read more only while few bytes are buffered; this is a safety net.
                self.raw.resize(self.raw_end + MIN_AVAIL, 0);
            }
        }
        loop {
            match self.inner.read(&mut self.raw[self.raw_end..]) {
                Ok(n) => {
                    self.raw_end += n.min(self.raw.len() - self.raw_end);
                    self.eof = n == 0;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads until at least `n` unread bytes are buffered or the input ends.
    fn fill_until(&mut self, n: usize) -> io::Result<()> {
        while !self.eof && self.available() < n {
            self.fill_once()?;
        }
        Ok(())
    }

    /// Decodes some input into `out` (possibly nothing, when more input had to be read first).
    fn step(&mut self) -> io::Result<()> {
        if !self.eof && self.available() < MIN_AVAIL {
            self.fill_once()?;
        }
        let end = self.raw_end.min(self.raw_pos + STEP);
        let last = self.eof && end == self.raw_end;
        match &mut self.state {
            State::Done => {}
            State::Undecided => {
                let chunk = &self.raw[self.raw_pos..end];
                match chunk.iter().position(|b| !b.is_ascii()) {
                    None if chunk.is_empty() && last => self.state = State::Done,
                    None => self.pass_ascii(chunk.len()),
                    Some(0) => {
                        // One byte past the window tells whether the window ends the input.
                        self.fill_until(DETECT_LEN + 1)?;
                        let window = window_at(&self.raw[..self.raw_end], self.raw_pos);
                        let complete = self.eof && self.raw_pos + window.len() == self.raw_end;
                        let encoding = sniff(window, complete)?;
                        self.start_decoding(encoding, 0);
                    }
                    Some(n) => self.pass_ascii(n),
                }
            }
            State::Utf8 => {
                let chunk = &self.raw[self.raw_pos..end];
                match std::str::from_utf8(chunk) {
                    Ok(s) => {
                        self.out.push_str(s);
                        self.raw_pos = end;
                    }
                    Err(e) => {
                        let valid = e.valid_up_to();
                        self.out.push_str(&String::from_utf8_lossy(&chunk[..valid]));
                        self.raw_pos += valid;
                        match e.error_len() {
                            Some(n) => self.replace(n),
                            // A character cut by the end of the input.
                            None if last => self.replace(end - self.raw_pos),
                            // A character cut by the end of the buffer: the next step has it whole.
                            None => {}
                        }
                    }
                }
                if last && self.raw_pos == self.raw_end {
                    self.state = State::Done;
                }
            }
            State::Decoding(decoder) => {
                let src = &self.raw[self.raw_pos..end];
                let read = decode_into(decoder, src, &mut self.out, last, &mut self.replacements);
                self.raw_pos += read;
                // After the last call reports its input consumed, a decoder must not be used again.
                if last && self.raw_pos == end {
                    self.state = State::Done;
                }
            }
        }
        Ok(())
    }

    fn pass_ascii(&mut self, n: usize) {
        let ascii = &self.raw[self.raw_pos..self.raw_pos + n];
        self.out.push_str(&String::from_utf8_lossy(ascii));
        self.raw_pos += n;
    }

    fn replace(&mut self, skip: usize) {
        self.out.push(char::REPLACEMENT_CHARACTER);
        self.replacements += 1;
        self.raw_pos += skip;
    }
}

impl<R: Read> BufRead for DecodingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        while self.out_pos >= self.out.len() && !matches!(self.state, State::Done) {
            self.out.clear();
            self.out_pos = 0;
            self.step()?;
        }
        Ok(self.out.as_bytes().get(self.out_pos..).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        self.out_pos = self.out.len().min(self.out_pos + amt);
    }
}

impl<R: Read> Read for DecodingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let available = self.fill_buf()?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        self.consume(n);
        Ok(n)
    }
}

impl<R> std::fmt::Debug for DecodingReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecodingReader")
            .field("encoding", &self.encoding)
            .field("replacements", &self.replacements)
            .finish_non_exhaustive()
    }
}
