//! Embedding of the fonts a document drew with: each face used becomes a Type 0
//! font (Identity-H, TrueType outlines) carrying a subset of only the glyphs drawn,
//! their widths, and a `ToUnicode` map so text can be searched, copied and
//! extracted as the characters written.

use std::collections::BTreeMap;
use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;
use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Filter, Finish, Name, Pdf, Rect, Ref, Str};
use subsetter::GlyphRemapper;
use ttf_parser::GlyphId;

use super::fonts::{FaceId, Faces, Font};

const IDENTITY: SystemInfo<'static> = SystemInfo {
    registry: Str(b"Adobe"),
    ordering: Str(b"Identity"),
    supplement: 0,
};

/// The glyphs one face drew, numbered as they will be in its subset.
#[derive(Default)]
struct UsedFace {
    remapper: GlyphRemapper,
    /// The character each subset glyph stands for.
    unicode: BTreeMap<u16, char>,
}

/// The glyphs drawn so far, by face.
#[derive(Default)]
pub(super) struct UsedFonts {
    faces: BTreeMap<FaceId, UsedFace>,
}

/// A stretch of a line drawn with one font.
pub(super) struct Run {
    /// The font's resource name on the page.
    pub resource: &'static str,
    /// Whether the outline is stroked to make regular glyphs look bold.
    pub synthetic_bold: bool,
    /// The string to show: two-byte glyph ids of the subset.
    pub codes: Vec<u8>,
}

fn resource_name(face: FaceId) -> &'static str {
    match face {
        FaceId::Sans => "F1",
        FaceId::SansBold => "F2",
        FaceId::Cjk => "F3",
    }
}

impl UsedFonts {
    /// `text` in `font` as runs of one face each, recording the glyphs used.
    pub(super) fn runs(&mut self, faces: &Faces, font: Font, text: &str) -> Vec<Run> {
        let mut runs: Vec<Run> = Vec::new();
        for c in text.chars() {
            let glyph = faces.glyph(font, c);
            let used = self.faces.entry(glyph.face).or_default();
            let cid = used.remapper.remap(glyph.id);
            used.unicode.entry(cid).or_insert(glyph.char);
            let resource = resource_name(glyph.face);
            match runs.last_mut() {
                Some(run)
                    if run.resource == resource && run.synthetic_bold == glyph.synthetic_bold =>
                {
                    run.codes.extend(cid.to_be_bytes());
                }
                _ => runs.push(Run {
                    resource,
                    synthetic_bold: glyph.synthetic_bold,
                    codes: cid.to_be_bytes().to_vec(),
                }),
            }
        }
        runs
    }

    /// Writes a font for each face used, with objects numbered from `next`; returns
    /// the page resources (name and font).
    pub(super) fn write(
        &self,
        pdf: &mut Pdf,
        faces: &Faces,
        next: &mut Ref,
    ) -> Result<Vec<(&'static str, Ref)>, String> {
        let mut resources = Vec::new();
        for (&id, used) in &self.faces {
            let face = faces.face(id);
            let [type0, cid_font, descriptor, file, cmap] = std::array::from_fn(|_| next.bump());
            let base = format!("{}+{}", subset_tag(used), id.postscript_name());
            let base = Name(base.as_bytes());
            let to_pdf_units = 1000.0 / f32::from(face.units_per_em());
            let scale = |v: i16| f32::from(v) * to_pdf_units;

            pdf.type0_font(type0)
                .base_font(base)
                .encoding_predefined(Name(b"Identity-H"))
                .descendant_font(cid_font)
                .to_unicode(cmap);

            let widths: Vec<f32> = used
                .remapper
                .remapped_gids()
                .map(|old| {
                    f32::from(face.glyph_hor_advance(GlyphId(old)).unwrap_or(0)) * to_pdf_units
                })
                .collect();
            let mut font = pdf.cid_font(cid_font);
            font.subtype(CidFontType::Type2)
                .base_font(base)
                .system_info(IDENTITY)
                .font_descriptor(descriptor)
                .default_width(0.0)
                .cid_to_gid_map_predefined(Name(b"Identity"));
            font.widths().consecutive(0, widths);
            font.finish();

            let bbox = face.global_bounding_box();
            pdf.font_descriptor(descriptor)
                .name(base)
                .flags(FontFlags::SYMBOLIC)
                .bbox(Rect::new(
                    scale(bbox.x_min),
                    scale(bbox.y_min),
                    scale(bbox.x_max),
                    scale(bbox.y_max),
                ))
                .italic_angle(face.italic_angle())
                .ascent(scale(face.ascender()))
                .descent(scale(face.descender()))
                .cap_height(scale(face.capital_height().unwrap_or(face.ascender())))
                .stem_v(if face.is_bold() { 120.0 } else { 80.0 })
                .font_file2(file);

            // The subset renumbers glyphs as the remapper did while drawing, so the
            // codes shown are its glyph ids (CIDToGIDMap Identity).
            let subset = subsetter::subset(id.data(), 0, &used.remapper).map_err(|e| {
                format!("subsetting the font {} failed: {e:?}", id.postscript_name())
            })?;
            let length = i32::try_from(subset.len()).unwrap_or(i32::MAX);
            match compress(&subset) {
                Some(packed) => {
                    pdf.stream(file, &packed)
                        .filter(Filter::FlateDecode)
                        .pair(Name(b"Length1"), length);
                }
                None => {
                    pdf.stream(file, &subset).pair(Name(b"Length1"), length);
                }
            }

            let mut map = UnicodeCmap::new(Name(b"Custom"), IDENTITY);
            for (&code, &c) in &used.unicode {
                map.pair(code, c);
            }
            pdf.cmap(cmap, &map.finish())
                .name(Name(b"Custom"))
                .system_info(IDENTITY);

            resources.push((resource_name(id), type0));
        }
        Ok(resources)
    }
}

/// The six capital letters that mark a font as a subset, derived from the glyphs
/// it holds so the same form renders to the same bytes.
fn subset_tag(used: &UsedFace) -> String {
    // FNV-1a over the glyph ids.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for gid in used.remapper.remapped_gids() {
        for byte in gid.to_be_bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 8)) % 26) as u8))
        .collect()
}

fn compress(data: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = ZlibEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(data).ok()?;
    encoder.finish().ok()
}

/// Writes a stream, deflated when that works.
pub(super) fn compressed_stream(pdf: &mut Pdf, id: Ref, data: &[u8]) {
    match compress(data) {
        Some(packed) => {
            pdf.stream(id, &packed).filter(Filter::FlateDecode);
        }
        None => {
            pdf.stream(id, data);
        }
    }
}
