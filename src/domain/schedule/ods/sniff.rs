//! Recognises an OpenDocument spreadsheet by its bytes (never by its file name) and
//! refuses archives built to exhaust memory before anything decompresses them.

use std::io::Cursor;

use super::OdsError;

/// The media type an ODS stores, uncompressed, as its first archive entry.
pub const ODS_MIMETYPE: &[u8] = b"application/vnd.oasis.opendocument.spreadsheet";
/// Most archive entries accepted; real spreadsheets have a few dozen at most.
pub const MAX_ENTRIES: usize = 1_000;
/// Most bytes all entries may expand to, as their headers declare.
pub const MAX_EXPANDED_BYTES: u64 = 256 * 1024 * 1024;
/// Highest expansion ratio accepted for one entry; spreadsheet XML stays far below it.
pub const MAX_RATIO: u64 = 200;
/// Entries expanding to less than this are not ratio-checked: tiny files compress oddly.
const RATIO_CHECK_FLOOR: u64 = 1024 * 1024;

const LOCAL_HEADER_SIG: &[u8] = b"PK\x03\x04";
const LOCAL_HEADER_LEN: usize = 30;
const STORED: u16 = 0;
const DATA_DESCRIPTOR_FLAG: u16 = 1 << 3;

/// Accepts `bytes` only if they are an ODS archive that is safe to decompress.
///
/// Checks, in order: a zip local header at offset 0; that its entry is `mimetype`, stored
/// uncompressed, holding exactly the spreadsheet media type; that the central directory
/// agrees and lists `content.xml`; the entry count; and each entry's declared expansion.
pub fn sniff_ods(bytes: &[u8]) -> Result<(), OdsError> {
    check_first_entry(bytes)?;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| OdsError::NotOds("the zip directory is unreadable"))?;
    if archive.len() > MAX_ENTRIES {
        return Err(OdsError::TooManyEntries {
            count: archive.len(),
            limit: MAX_ENTRIES,
        });
    }
    let mut expanded: u64 = 0;
    let mut has_content = false;
    for index in 0..archive.len() {
        let entry = archive
            .by_index_raw(index)
            .map_err(|_| OdsError::NotOds("a zip entry is unreadable"))?;
        let name = entry.name_raw();
        if index == 0 && (name != b"mimetype" || entry.size() != ODS_MIMETYPE.len() as u64) {
            return Err(OdsError::NotOds(
                "the zip directory does not start with mimetype",
            ));
        }
        has_content |= name == b"content.xml";
        let size = entry.size();
        let ratio_exceeded =
            size >= RATIO_CHECK_FLOOR && size / entry.compressed_size().max(1) > MAX_RATIO;
        if ratio_exceeded {
            return Err(OdsError::SuspiciousCompression(format!(
                "an entry expands more than {MAX_RATIO} times"
            )));
        }
        expanded = expanded.saturating_add(size);
        if expanded > MAX_EXPANDED_BYTES {
            return Err(OdsError::SuspiciousCompression(format!(
                "entries expand beyond {MAX_EXPANDED_BYTES} bytes"
            )));
        }
    }
    if !has_content {
        return Err(OdsError::NotOds("content.xml is missing"));
    }
    Ok(())
}

/// Reads the local header at offset 0 by hand: the zip reader only looks at the central
/// directory, but the ODF rule is about the physical first entry.
fn check_first_entry(bytes: &[u8]) -> Result<(), OdsError> {
    if bytes.len() < LOCAL_HEADER_LEN || !bytes.starts_with(LOCAL_HEADER_SIG) {
        return Err(OdsError::NotOds("it is not a zip archive"));
    }
    let flags = le16(bytes, 6);
    let method = le16(bytes, 8);
    let stored_size = le32(bytes, 18) as usize;
    let name_len = le16(bytes, 26) as usize;
    let extra_len = le16(bytes, 28) as usize;
    let name_end = LOCAL_HEADER_LEN + name_len;
    if bytes.get(LOCAL_HEADER_LEN..name_end) != Some(b"mimetype".as_slice()) {
        return Err(OdsError::NotOds("the first zip entry is not mimetype"));
    }
    if method != STORED {
        return Err(OdsError::NotOds("the mimetype entry is compressed"));
    }
    if flags & DATA_DESCRIPTOR_FLAG == 0 && stored_size != ODS_MIMETYPE.len() {
        return Err(OdsError::NotOds("the mimetype is not a spreadsheet's"));
    }
    let data_start = name_end + extra_len;
    let content = bytes.get(data_start..data_start + ODS_MIMETYPE.len());
    if content != Some(ODS_MIMETYPE) {
        return Err(OdsError::NotOds("the mimetype is not a spreadsheet's"));
    }
    Ok(())
}

fn le16(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

fn le32(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipWriter};

    use super::*;

    fn zip_of(entries: &[(&str, &[u8], CompressionMethod)]) -> Vec<u8> {
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data, method) in entries {
            let options = SimpleFileOptions::default().compression_method(*method);
            writer.start_file(*name, options).unwrap();
            writer.write_all(data).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    const CONTENT: &[u8] = b"<office:document-content/>";

    #[test]
    fn a_minimal_ods_archive_is_accepted() {
        let bytes = zip_of(&[
            ("mimetype", ODS_MIMETYPE, CompressionMethod::Stored),
            ("content.xml", CONTENT, CompressionMethod::Stored),
        ]);
        sniff_ods(&bytes).unwrap();
    }

    #[test]
    fn a_text_file_is_not_an_ods_whatever_its_name() {
        let err = sniff_ods(b"Date,Shift,Start\n2026-03-02,Day,07:00\n").unwrap_err();
        assert!(matches!(err, OdsError::NotOds(_)), "{err}");
        assert!(sniff_ods(b"").is_err());
    }

    #[test]
    fn a_zip_without_a_mimetype_entry_is_rejected() {
        let bytes = zip_of(&[("content.xml", CONTENT, CompressionMethod::Stored)]);
        let err = sniff_ods(&bytes).unwrap_err();
        assert_eq!(err, OdsError::NotOds("the first zip entry is not mimetype"));
    }

    #[test]
    fn an_xlsx_like_zip_is_rejected() {
        let bytes = zip_of(&[
            (
                "[Content_Types].xml",
                b"<Types/>",
                CompressionMethod::Stored,
            ),
            ("xl/workbook.xml", b"<workbook/>", CompressionMethod::Stored),
        ]);
        assert!(matches!(sniff_ods(&bytes), Err(OdsError::NotOds(_))));
    }

    #[test]
    fn a_text_document_mimetype_is_rejected() {
        let bytes = zip_of(&[
            (
                "mimetype",
                b"application/vnd.oasis.opendocument.text",
                CompressionMethod::Stored,
            ),
            ("content.xml", CONTENT, CompressionMethod::Stored),
        ]);
        assert_eq!(
            sniff_ods(&bytes).unwrap_err(),
            OdsError::NotOds("the mimetype is not a spreadsheet's")
        );
    }

    #[test]
    fn an_archive_without_content_is_rejected() {
        let bytes = zip_of(&[("mimetype", ODS_MIMETYPE, CompressionMethod::Stored)]);
        assert_eq!(
            sniff_ods(&bytes).unwrap_err(),
            OdsError::NotOds("content.xml is missing")
        );
    }

    #[test]
    fn an_archive_with_thousands_of_entries_is_refused() {
        let mut entries: Vec<(String, &[u8])> = vec![("mimetype".into(), ODS_MIMETYPE)];
        entries.extend((0..=MAX_ENTRIES).map(|i| (format!("e{i}"), b"x".as_slice())));
        let mut writer = ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in &entries {
            let options =
                SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
            writer.start_file(name.as_str(), options).unwrap();
            writer.write_all(data).unwrap();
        }
        let bytes = writer.finish().unwrap().into_inner();
        assert!(matches!(
            sniff_ods(&bytes),
            Err(OdsError::TooManyEntries {
                limit: MAX_ENTRIES,
                ..
            })
        ));
    }

    #[test]
    fn an_entry_that_declares_a_huge_expansion_is_refused() {
        let mut bytes = zip_of(&[
            ("mimetype", ODS_MIMETYPE, CompressionMethod::Stored),
            ("content.xml", CONTENT, CompressionMethod::Stored),
        ]);
        // Forge the central directory so content.xml claims to expand to 1 GiB, as a bomb's
        // headers would; nothing is decompressed to find out.
        let cd = bytes.windows(4).rposition(|w| w == b"PK\x01\x02").unwrap();
        bytes[cd + 24..cd + 28].copy_from_slice(&(1u32 << 30).to_le_bytes());
        assert!(matches!(
            sniff_ods(&bytes),
            Err(OdsError::SuspiciousCompression(_))
        ));
    }
}
