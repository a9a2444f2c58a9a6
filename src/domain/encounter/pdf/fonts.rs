//! The fonts the form is printed in: DejaVu Sans (regular and bold) for Latin,
//! Greek, Cyrillic and symbols, with a CJK fallback (Droid Sans Fallback), all
//! TrueType files kept in `fonts/` (licences and coverage in `fonts/README.md`).
//!
//! Each character is drawn with the first face of its style that has a glyph for
//! it; characters no face has print as `�`.

use std::sync::LazyLock;

use ttf_parser::{Face, GlyphId};

/// The two styles the form uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Font {
    Regular,
    Bold,
}

/// One embedded font file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum FaceId {
    Sans,
    SansBold,
    Cjk,
}

impl FaceId {
    /// Every face, in the order their fonts are written.
    pub(super) const ALL: [FaceId; 3] = [FaceId::Sans, FaceId::SansBold, FaceId::Cjk];

    fn index(self) -> usize {
        self as usize
    }

    /// The PostScript name the PDF gives the font.
    pub(super) fn postscript_name(self) -> &'static str {
        match self {
            FaceId::Sans => "DejaVuSans",
            FaceId::SansBold => "DejaVuSans-Bold",
            FaceId::Cjk => "DroidSansFallback",
        }
    }

    /// The font file.
    pub(super) fn data(self) -> &'static [u8] {
        match self {
            FaceId::Sans => include_bytes!("fonts/DejaVuSans.ttf"),
            FaceId::SansBold => include_bytes!("fonts/DejaVuSans-Bold.ttf"),
            FaceId::Cjk => include_bytes!("fonts/DroidSansFallback-CJK.ttf"),
        }
    }
}

/// A character resolved to a glyph of one face.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Glyph {
    /// The face that draws it.
    pub face: FaceId,
    /// Its glyph id in that face's file.
    pub id: u16,
    /// The character it stands for, after replacements (controls become spaces,
    /// characters no face has become `�`).
    pub char: char,
    /// Advance width in ems.
    pub advance: f32,
    /// Bold text drawn with a regular face (the CJK face has no bold): the PDF
    /// strokes its outline to thicken it.
    pub synthetic_bold: bool,
}

/// The parsed faces.
pub(super) struct Faces {
    faces: Vec<Face<'static>>,
}

static FACES: LazyLock<Result<Faces, String>> = LazyLock::new(|| {
    let faces = FaceId::ALL
        .iter()
        .map(|id| {
            Face::parse(id.data(), 0).map_err(|e| {
                format!(
                    "the embedded font {} is unreadable: {e}",
                    id.postscript_name()
                )
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Faces { faces })
});

/// The embedded faces, parsed once.
pub(super) fn faces() -> Result<&'static Faces, String> {
    FACES.as_ref().map_err(Clone::clone)
}

impl Faces {
    /// The parsed face of `id`.
    pub(super) fn face(&self, id: FaceId) -> &Face<'static> {
        &self.faces[id.index()]
    }

    fn chain(font: Font) -> [FaceId; 2] {
        match font {
            Font::Regular => [FaceId::Sans, FaceId::Cjk],
            Font::Bold => [FaceId::SansBold, FaceId::Cjk],
        }
    }

    fn lookup(&self, face: FaceId, c: char) -> Option<(u16, f32)> {
        let f = self.face(face);
        let id = f.glyph_index(c).filter(|g| g.0 != 0)?;
        let advance = f.glyph_hor_advance(id).unwrap_or(0);
        Some((id.0, f32::from(advance) / f32::from(f.units_per_em())))
    }

    /// The glyph that draws `c` in `font`.
    pub(super) fn glyph(&self, font: Font, c: char) -> Glyph {
        let c = if c.is_control() || (c.is_whitespace() && c != ' ') {
            ' '
        } else {
            c
        };
        let chain = Self::chain(font);
        for face in chain {
            if let Some((id, advance)) = self.lookup(face, c) {
                return Glyph {
                    face,
                    id,
                    char: c,
                    advance,
                    synthetic_bold: font == Font::Bold && face == FaceId::Cjk,
                };
            }
        }
        let (id, advance) = self
            .lookup(chain[0], '\u{FFFD}')
            .unwrap_or((0, self.notdef_advance(chain[0])));
        Glyph {
            face: chain[0],
            id,
            char: '\u{FFFD}',
            advance,
            synthetic_bold: false,
        }
    }

    fn notdef_advance(&self, face: FaceId) -> f32 {
        let f = self.face(face);
        f32::from(f.glyph_hor_advance(GlyphId(0)).unwrap_or(0)) / f32::from(f.units_per_em())
    }

    /// Width of `text` in points at `size`.
    pub(super) fn width(&self, text: &str, font: Font, size: f32) -> f32 {
        text.chars()
            .map(|c| self.glyph(font, c).advance)
            .sum::<f32>()
            * size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_character_is_drawn_by_the_first_face_that_has_it() {
        let faces = faces().unwrap();
        let face = |font, c| faces.glyph(font, c).face;
        assert_eq!(face(Font::Regular, 'A'), FaceId::Sans);
        assert_eq!(face(Font::Bold, 'A'), FaceId::SansBold);
        for c in ['→', '≥', '°', 'Ω', 'Ж', 'ễ'] {
            assert_eq!(face(Font::Regular, c), FaceId::Sans, "{c}");
        }
        for c in ['王', '伟', '陳', 'あ', '한'] {
            assert_eq!(face(Font::Regular, c), FaceId::Cjk, "{c}");
        }
        assert!(faces.glyph(Font::Bold, '王').synthetic_bold);
        assert!(!faces.glyph(Font::Regular, '王').synthetic_bold);
    }

    #[test]
    fn characters_no_face_has_become_the_replacement_character() {
        let faces = faces().unwrap();
        let g = faces.glyph(Font::Regular, '\u{1F600}');
        assert_eq!((g.face, g.char), (FaceId::Sans, '\u{FFFD}'));
        assert_ne!(g.id, 0, "the replacement character has a glyph");
        assert_eq!(faces.glyph(Font::Regular, '\t').char, ' ');
    }

    #[test]
    fn widths_follow_the_font_metrics() {
        let faces = faces().unwrap();
        let hello = faces.width("Hello", Font::Regular, 10.0);
        assert!((hello - 25.35).abs() < 0.01, "{hello}");
        assert!(faces.width("Hello", Font::Bold, 10.0) > hello);
        // Ideographs are a full em wide.
        assert!((faces.width("王伟", Font::Regular, 10.0) - 20.0).abs() < 0.5);
    }
}
