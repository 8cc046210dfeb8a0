//! Files people upload (materials, attachments): what they are is read from their first bytes,
//! never taken from the name or the declared type; sizes are bounded; names are cut to their
//! last path part; and photos lose what the camera wrote about where and when they were taken
//! (Exif with GPS, XMP, IPTC, comments, PNG text chunks) before anything stores them.
//!
//! Every refusal names the field it is about.

use crate::Invalid;
use crate::msg;

/// A file as received.
#[derive(Clone, PartialEq, Eq)]
pub struct Upload {
    /// The name the sender's system gave it (kept for display once cleaned).
    pub file_name: String,
    /// The media type the client declared (`application/octet-stream` or empty when unknown).
    pub declared_type: String,
    /// Its content.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("declared_type", &self.declared_type)
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// The kinds of file accepted anywhere on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    /// PDF.
    Pdf,
    /// PNG image.
    Png,
    /// JPEG image.
    Jpeg,
}

impl Media {
    /// Its media type.
    pub fn mime(self) -> &'static str {
        match self {
            Media::Pdf => "application/pdf",
            Media::Png => "image/png",
            Media::Jpeg => "image/jpeg",
        }
    }

    /// What `bytes` starts like, if it is one of the accepted kinds.
    pub fn sniff(bytes: &[u8]) -> Option<Media> {
        if bytes.starts_with(b"%PDF-") {
            Some(Media::Pdf)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Media::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Media::Jpeg)
        } else {
            None
        }
    }
}

/// The longest file name kept, in characters.
const MAX_FILE_NAME: usize = 100;

/// The last path part of `name` without control characters, at most 100 characters; `file`
/// when nothing is left.
pub fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILE_NAME)
        .collect();
    let kept = kept.trim();
    if kept.is_empty() {
        "file".into()
    } else {
        kept.to_string()
    }
}

/// Checks an upload for `field`: not empty, at most `max_bytes`, a PDF, PNG or JPEG by its
/// content, and a declared type (if any) that agrees with the content.
pub fn check(field: &str, u: &Upload, max_bytes: usize) -> Result<Media, Invalid> {
    if u.bytes.is_empty() {
        return Err(Invalid::new(field, msg!("file-empty")));
    }
    if u.bytes.len() > max_bytes {
        let mib = max_bytes >> 20;
        return Err(Invalid::new(field, msg!("file-too-large", mib = mib)));
    }
    let Some(media) = Media::sniff(&u.bytes) else {
        return Err(Invalid::new(field, msg!("only-pdf-png-jpeg")));
    };
    let declared = u.declared_type.trim().to_ascii_lowercase();
    let declared = declared.split(';').next().unwrap_or_default().trim();
    let agrees = declared.is_empty()
        || declared == "application/octet-stream"
        || declared == media.mime()
        || (declared == "image/jpg" && media == Media::Jpeg);
    if !agrees {
        return Err(Invalid::new(field, msg!("file-content-not-declared")));
    }
    Ok(media)
}

/// What [`strip_metadata`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stripped {
    /// The file without its metadata.
    pub bytes: Vec<u8>,
    /// How many metadata blocks (JPEG segments, PNG chunks) were removed.
    pub removed: usize,
}

/// Removes what a camera or editor wrote about an image — Exif (GPS position, device, time),
/// XMP, IPTC, comments, PNG text and time chunks — keeping what is needed to show it (for
/// JPEG the JFIF header, the colour profile, Adobe colour information, and the Exif
/// orientation rewritten alone so phone photos stay upright). PDFs are returned unchanged. A
/// damaged image is refused naming `field`.
pub fn strip_metadata(field: &str, media: Media, bytes: &[u8]) -> Result<Stripped, Invalid> {
    let damaged = || Invalid::new(field, msg!("image-file-damaged"));
    match media {
        Media::Pdf => Ok(Stripped {
            bytes: bytes.to_vec(),
            removed: 0,
        }),
        Media::Png => strip_png(bytes).ok_or_else(damaged),
        Media::Jpeg => strip_jpeg(bytes).ok_or_else(damaged),
    }
}

/// PNG chunks that carry words, places or times rather than pixels.
const PNG_METADATA: [&[u8; 4]; 5] = [b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"];

fn strip_png(bytes: &[u8]) -> Option<Stripped> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(bytes.get(..8)?);
    let mut at = 8;
    let mut removed = 0;
    loop {
        let len = u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?) as usize;
        let kind = bytes.get(at + 4..at + 8)?;
        let end = at.checked_add(12)?.checked_add(len)?;
        let chunk = bytes.get(at..end)?;
        if PNG_METADATA.iter().any(|m| m.as_slice() == kind) {
            removed += 1;
        } else {
            out.extend_from_slice(chunk);
        }
        at = end;
        if kind == b"IEND" {
            return Some(Stripped { bytes: out, removed });
        }
    }
}

/// JPEG application segments kept: JFIF (APP0), ICC colour profile (APP2) and Adobe colour
/// transform (APP14). Every other APPn and comments go.
fn keep_jpeg_segment(marker: u8) -> bool {
    !matches!(marker, 0xE1 | 0xE3..=0xED | 0xEF | 0xFE)
}

fn strip_jpeg(bytes: &[u8]) -> Option<Stripped> {
    let mut out = Vec::with_capacity(bytes.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut at = 2;
    let mut removed = 0;
    let mut orientation = None;
    // Where the orientation goes back: after SOI and a leading JFIF segment, where readers
    // look for Exif.
    let mut exif_at = out.len();
    loop {
        // Markers may be preceded by fill bytes (0xFF).
        if *bytes.get(at)? != 0xFF {
            return None;
        }
        while *bytes.get(at + 1)? == 0xFF {
            at += 1;
        }
        let marker = *bytes.get(at + 1)?;
        match marker {
            // End of image without scan data, or a marker without a length.
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                return Some(Stripped { bytes: out, removed });
            }
            0x01 | 0xD0..=0xD7 => {
                out.extend_from_slice(&[0xFF, marker]);
                at += 2;
                continue;
            }
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes(bytes.get(at + 2..at + 4)?.try_into().ok()?));
        if len < 2 {
            return None;
        }
        let end = at + 2 + len;
        let segment = bytes.get(at..end)?;
        if marker == 0xDA {
            // Start of scan: the rest is image data (and for progressive images further
            // tables and scans), kept as it is. Orientation goes in before the first frame.
            if let Some(o) = orientation.filter(|o| *o != 1) {
                let segment = orientation_segment(o);
                out.splice(exif_at..exif_at, segment);
            }
            out.extend_from_slice(bytes.get(at..)?);
            return Some(Stripped { bytes: out, removed });
        }
        if keep_jpeg_segment(marker) {
            let leading_jfif = marker == 0xE0 && out.len() == exif_at && exif_at == 2;
            out.extend_from_slice(segment);
            if leading_jfif {
                exif_at = out.len();
            }
        } else {
            if marker == 0xE1 && orientation.is_none() {
                orientation = exif_orientation(segment.get(4..)?);
            }
            removed += 1;
        }
        at = end;
    }
}

/// The orientation tag (0x0112) of IFD0 in an Exif APP1 payload, if it has one.
fn exif_orientation(payload: &[u8]) -> Option<u16> {
    let tiff = payload.strip_prefix(b"Exif\0\0")?;
    let big = match tiff.get(..2)? {
        b"MM" => true,
        b"II" => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at + 2)?.try_into().ok()?;
        Some(if big {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at + 4)?.try_into().ok()?;
        Some(if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd = u32_at(4)? as usize;
    let count = usize::from(u16_at(ifd)?);
    (0..count).find_map(|i| {
        let entry = ifd + 2 + i * 12;
        (u16_at(entry)? == 0x0112)
            .then(|| u16_at(entry + 8))
            .flatten()
            .filter(|o| (1..=8).contains(o))
    })
}

/// An APP1 segment holding only the Exif orientation `o`.
fn orientation_segment(o: u16) -> Vec<u8> {
    let mut tiff = Vec::with_capacity(26);
    tiff.extend_from_slice(b"MM\0\x2a\0\0\0\x08"); // big-endian, IFD0 at offset 8
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // one value
    tiff.extend_from_slice(&o.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]); // padding of the value field
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    let len = 2 + 6 + tiff.len();
    let mut out = Vec::with_capacity(2 + len);
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&(len as u16).to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut s = vec![0xFF, marker];
        s.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
        s.extend_from_slice(payload);
        s
    }

    /// An Exif payload with orientation `o` and a GPS latitude reference, little-endian.
    fn exif(o: u16) -> Vec<u8> {
        let mut p = b"Exif\0\0II\x2a\0\x08\0\0\0".to_vec();
        p.extend_from_slice(&2u16.to_le_bytes());
        p.extend_from_slice(&0x0112u16.to_le_bytes());
        p.extend_from_slice(&3u16.to_le_bytes());
        p.extend_from_slice(&1u32.to_le_bytes());
        p.extend_from_slice(&o.to_le_bytes());
        p.extend_from_slice(&[0, 0]);
        p.extend_from_slice(&0x8825u16.to_le_bytes()); // GPS IFD pointer
        p.extend_from_slice(&4u16.to_le_bytes());
        p.extend_from_slice(&1u32.to_le_bytes());
        p.extend_from_slice(&0u32.to_le_bytes());
        p.extend_from_slice(&0u32.to_le_bytes());
        p.extend_from_slice(b"GPS 31.2304N 121.4737E");
        p
    }

    fn jpeg(orientation: u16) -> Vec<u8> {
        let mut j = vec![0xFF, 0xD8];
        j.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        j.extend(segment(0xE1, &exif(orientation)));
        j.extend(segment(
            0xE1,
            b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>Shanghai</x:xmpmeta>",
        ));
        j.extend(segment(0xED, b"Photoshop 3.0\0IPTC city"));
        j.extend(segment(0xFE, b"taken at home"));
        j.extend(segment(0xDB, &[0; 65]));
        j.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        j.extend_from_slice(&[0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD9]);
        j
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn jpeg_loses_exif_xmp_iptc_and_comments_but_keeps_pixels_and_orientation() {
        let original = jpeg(6);
        let s = strip_metadata("attachments", Media::Jpeg, &original).expect("strips");
        assert_eq!(s.removed, 4);
        for gone in [&b"GPS 31.2304N"[..], b"xmpmeta", b"IPTC", b"taken at home"] {
            assert!(!contains(&s.bytes, gone), "{gone:?} is still there");
        }
        assert!(contains(&s.bytes, b"JFIF"));
        assert!(s.bytes.ends_with(&[0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD9]));
        // Orientation 6 survives alone, readable again.
        let app1 = s
            .bytes
            .windows(2)
            .position(|w| w == [0xFF, 0xE1])
            .expect("orientation kept");
        assert_eq!(exif_orientation(&s.bytes[app1 + 4..]), Some(6));
        // Stripping twice changes nothing more.
        let again = strip_metadata("attachments", Media::Jpeg, &s.bytes).expect("strips");
        assert_eq!(again.bytes, s.bytes);
    }

    #[test]
    fn upright_jpeg_keeps_no_exif_at_all() {
        let s = strip_metadata("f", Media::Jpeg, &jpeg(1)).expect("strips");
        assert!(!s.bytes.windows(2).any(|w| w == [0xFF, 0xE1]));
    }

    #[test]
    fn png_loses_text_time_and_exif_chunks() {
        let chunk = |kind: &[u8; 4], data: &[u8]| {
            let mut c = (data.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(data);
            c.extend_from_slice(&[0, 0, 0, 0]);
            c
        };
        let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
        p.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 0, 0, 0, 0]));
        p.extend(chunk(b"tEXt", b"Location\0Hangzhou"));
        p.extend(chunk(b"eXIf", b"MM\0*GPS"));
        p.extend(chunk(b"tIME", &[7, 234, 12, 3, 8, 0, 0]));
        p.extend(chunk(b"IDAT", &[1, 2, 3]));
        p.extend(chunk(b"IEND", &[]));
        let s = strip_metadata("f", Media::Png, &p).expect("strips");
        assert_eq!(s.removed, 3);
        assert!(!contains(&s.bytes, b"Hangzhou") && !contains(&s.bytes, b"GPS"));
        assert!(contains(&s.bytes, b"IDAT") && s.bytes.ends_with(&chunk(b"IEND", &[])));
    }

    #[test]
    fn damaged_images_are_refused_naming_the_field() {
        let mut cut = jpeg(1);
        cut.truncate(30);
        let e = strip_metadata("attachments", Media::Jpeg, &cut).expect_err("refused");
        assert_eq!(e.field, "attachments");
        let png = b"\x89PNG\r\n\x1a\n\0\0\xff\xffIHDR".to_vec();
        assert!(strip_metadata("f", Media::Png, &png).is_err());
        // A PDF is kept as it is.
        let pdf = b"%PDF-1.7 ...".to_vec();
        assert_eq!(strip_metadata("f", Media::Pdf, &pdf).expect("kept").bytes, pdf);
    }

    #[test]
    fn content_decides_the_kind_and_must_agree_with_the_declared_type() {
        let up = |name: &str, declared: &str, bytes: &[u8]| Upload {
            file_name: name.into(),
            declared_type: declared.into(),
            bytes: bytes.to_vec(),
        };
        assert_eq!(
            check("f", &up("a.pdf", "application/pdf", b"%PDF-1.4"), 100),
            Ok(Media::Pdf)
        );
        assert_eq!(check("f", &up("a", "", &jpeg(1)), 1000), Ok(Media::Jpeg));
        assert_eq!(check("f", &up("a", "image/jpg", &jpeg(1)), 1000), Ok(Media::Jpeg));
        let refused = |u: Upload, max: usize| check("file", &u, max).expect_err("refused");
        let code = |u: Upload, max: usize| refused(u, max).reason.code();
        assert_eq!(
            code(up("a.png", "image/png", b"%PDF-1.4"), 100),
            Some("file-content-not-declared")
        );
        assert_eq!(code(up("a.exe", "", b"MZ\x90\0"), 100), Some("only-pdf-png-jpeg"));
        assert_eq!(code(up("a.pdf", "", b""), 100), Some("file-empty"));
        let big = refused(up("a.pdf", "", &vec![b'%'; 3 << 20]), 2 << 20).reason;
        assert_eq!(big.render(crate::Lang::En), "the file must be at most 2 MiB");
        assert_eq!(big.render(crate::Lang::Zh), "文件不得超过 2 MiB");
    }

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(clean_name("C:\\Users\\张三\\租赁合同.pdf"), "租赁合同.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("a\u{0}\nb.png"), "ab.png");
        assert_eq!(clean_name("  "), "file");
        assert_eq!(clean_name(&"长".repeat(300)).chars().count(), MAX_FILE_NAME);
    }
}
