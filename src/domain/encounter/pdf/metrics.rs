//! Word wrapping to a width, measured with the embedded fonts.

use super::fonts::{Faces, Font};

/// `text` broken into lines no wider than `max` points: at spaces where possible,
/// inside words that are wider than a line on their own (as runs of ideographs
/// written without spaces are). Newlines are kept.
pub(super) fn wrap(faces: &Faces, text: &str, font: Font, size: f32, max: f32) -> Vec<String> {
    let width = |s: &str| faces.width(s, font, size);
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if width(&candidate) <= max {
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
                if !line.is_empty() && width(&longer) > max {
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
    use super::super::fonts::faces;
    use super::*;

    #[test]
    fn wrapped_lines_fit_the_width_and_keep_every_word() {
        let faces = faces().unwrap();
        let text = "Inpatient admission for community-acquired pneumonia with hypoxia \
                    requiring supplemental oxygen and intravenous antibiotics.\nSecond paragraph.";
        let lines = wrap(faces, text, Font::Regular, 10.0, 150.0);
        assert!(lines.len() > 3, "{lines:?}");
        for line in &lines {
            assert!(faces.width(line, Font::Regular, 10.0) <= 150.0, "{line}");
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
        let faces = faces().unwrap();
        let lines = wrap(faces, &"W".repeat(40), Font::Bold, 10.0, 100.0);
        assert!(lines.len() >= 4);
        assert!(
            lines
                .iter()
                .all(|l| faces.width(l, Font::Bold, 10.0) <= 100.0)
        );
        assert_eq!(lines.concat(), "W".repeat(40));
    }

    #[test]
    fn ideographs_without_spaces_wrap_by_character() {
        let faces = faces().unwrap();
        let text = "王伟".repeat(20);
        let lines = wrap(faces, &text, Font::Regular, 10.0, 100.0);
        assert_eq!(lines.len(), 4, "{lines:?}");
        assert_eq!(lines.concat(), text);
    }
}
