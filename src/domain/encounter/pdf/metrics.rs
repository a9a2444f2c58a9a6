//! Text measurement and encoding for the standard Helvetica fonts (no font files are
//! embedded): WinAnsi encoding, glyph widths from the Adobe font metrics, and word
//! wrapping to a width.

/// The two fonts the form uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Font {
    Regular,
    Bold,
}

/// Helvetica advance widths (1/1000 em) for WinAnsi codes 32..=126.
const REGULAR: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0..?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P.._
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // `..o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p..~
];

/// Helvetica-Bold advance widths (1/1000 em) for WinAnsi codes 32..=126.
const BOLD: [u16; 95] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, // 0..?
    975, 722, 722, 722, 722, 667, 611, 778, 722, 278, 556, 722, 611, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 333, 278, 333, 584, 556, // P.._
    333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556, 278, 889, 611, 611, // `..o
    611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584, // p..~
];

/// Unicode characters WinAnsi places in 0x80..=0x9F.
const WIN_ANSI_HIGH: [(char, u8); 27] = [
    ('€', 0x80),
    ('‚', 0x82),
    ('ƒ', 0x83),
    ('„', 0x84),
    ('…', 0x85),
    ('†', 0x86),
    ('‡', 0x87),
    ('ˆ', 0x88),
    ('‰', 0x89),
    ('Š', 0x8A),
    ('‹', 0x8B),
    ('Œ', 0x8C),
    ('Ž', 0x8E),
    ('\u{2018}', 0x91),
    ('\u{2019}', 0x92),
    ('\u{201C}', 0x93),
    ('\u{201D}', 0x94),
    ('•', 0x95),
    ('–', 0x96),
    ('—', 0x97),
    ('˜', 0x98),
    ('™', 0x99),
    ('š', 0x9A),
    ('›', 0x9B),
    ('œ', 0x9C),
    ('ž', 0x9E),
    ('Ÿ', 0x9F),
];

/// One character in WinAnsi; controls become spaces, unencodable characters `?`.
fn encode_char(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{A0}'..='\u{FF}' => c as u32 as u8,
        c if c.is_control() || c.is_whitespace() => b' ',
        c => WIN_ANSI_HIGH
            .iter()
            .find(|(u, _)| *u == c)
            .map_or(b'?', |(_, b)| *b),
    }
}

/// `text` in WinAnsi encoding, as the PDF string bytes.
pub(super) fn encode(text: &str) -> Vec<u8> {
    text.chars().map(encode_char).collect()
}

/// Width of one encoded byte in 1/1000 em. Outside ASCII the widest glyph of the
/// range is assumed, so measured text is never narrower than drawn text.
fn byte_width(font: Font, byte: u8) -> u16 {
    let table = match font {
        Font::Regular => &REGULAR,
        Font::Bold => &BOLD,
    };
    match byte {
        32..=126 => table[usize::from(byte - 32)],
        0xC6 => 1000,
        0xE6 => 889,
        0xC0..=0xDF => 778,
        0xE0..=0xFF => 611,
        _ => 1000,
    }
}

/// Width of `text` in points at `size`.
pub(super) fn width(text: &str, font: Font, size: f32) -> f32 {
    let units: u32 = encode(text)
        .into_iter()
        .map(|b| u32::from(byte_width(font, b)))
        .sum();
    units as f32 * size / 1000.0
}

/// `text` broken into lines no wider than `max` points: at spaces where possible,
/// inside words that are wider than a line on their own. Newlines are kept.
pub(super) fn wrap(text: &str, font: Font, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if width(&candidate, font, size) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            // The word alone may still be too wide: cut it by characters.
            for c in word.chars() {
                let mut longer = line.clone();
                longer.push(c);
                if !line.is_empty() && width(&longer, font, size) > max {
                    lines.push(std::mem::take(&mut line));
                    line.push(c);
                } else {
                    line = longer;
                }
            }
        }
        lines.push(line);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_encoded_in_win_ansi_with_replacements() {
        assert_eq!(encode("Zoë – 91 %"), b"Zo\xEB \x96 91 %".to_vec());
        assert_eq!(encode("a\tb✓"), b"a b?".to_vec());
    }

    #[test]
    fn widths_follow_the_font_metrics() {
        assert_eq!(width("Hello", Font::Regular, 10.0), 22.78);
        assert!(width("Hello", Font::Bold, 10.0) > width("Hello", Font::Regular, 10.0));
    }

    #[test]
    fn wrapped_lines_fit_the_width_and_keep_every_word() {
        let text = "Inpatient admission for community-acquired pneumonia with hypoxia \
                    requiring supplemental oxygen and intravenous antibiotics.\nSecond paragraph.";
        let lines = wrap(text, Font::Regular, 10.0, 150.0);
        assert!(lines.len() > 3, "{lines:?}");
        for line in &lines {
            assert!(width(line, Font::Regular, 10.0) <= 150.0, "{line}");
        }
        assert_eq!(lines.last().map(String::as_str), Some("Second paragraph."));
        let rejoined = lines.join(" ");
        assert_eq!(
            rejoined.split_whitespace().collect::<Vec<_>>(),
            text.split_whitespace().collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_word_wider_than_the_line_is_cut() {
        let lines = wrap(&"W".repeat(40), Font::Bold, 10.0, 100.0);
        assert!(lines.len() >= 4);
        assert!(lines.iter().all(|l| width(l, Font::Bold, 10.0) <= 100.0));
        assert_eq!(lines.concat(), "W".repeat(40));
    }
}
