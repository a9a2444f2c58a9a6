//! A small flowing page layout over `pdf-writer`: lines of wrapped text placed top
//! to bottom on US Letter pages, a new page begun whenever the current one is full.

use pdf_writer::types::TextRenderingMode;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::embed::UsedFonts;
use super::fonts::{Faces, Font};
use super::metrics::wrap;

const PAGE_WIDTH: f32 = 612.0;
const PAGE_HEIGHT: f32 = 792.0;
const MARGIN: f32 = 54.0;
/// Space kept free at the bottom of every page for the footer.
const FOOTER_SPACE: f32 = 24.0;
const LEADING: f32 = 1.3;

/// How much of the font size the outline stroke of synthetic bold is.
const SYNTHETIC_BOLD_STROKE: f32 = 0.03;

/// The usable width between the margins.
pub(super) const TEXT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;

/// Text placed line by line down the pages.
pub(super) struct Layout {
    faces: &'static Faces,
    /// The glyphs drawn so far, by face.
    fonts: UsedFonts,
    /// Full pages, in order.
    done: Vec<Content>,
    /// The page being filled.
    current: Content,
    y: f32,
}

impl Layout {
    /// An empty document with its first page begun.
    pub(super) fn new(faces: &'static Faces) -> Self {
        Self {
            faces,
            fonts: UsedFonts::default(),
            done: Vec::new(),
            current: Content::new(),
            y: PAGE_HEIGHT - MARGIN,
        }
    }

    /// Pages used so far.
    pub(super) fn page_count(&self) -> usize {
        self.done.len() + 1
    }

    /// Begins a new page unless `height` more points fit on the current one.
    pub(super) fn ensure(&mut self, height: f32) {
        if self.y - height < MARGIN + FOOTER_SPACE {
            self.done
                .push(std::mem::replace(&mut self.current, Content::new()));
            self.y = PAGE_HEIGHT - MARGIN;
        }
    }

    /// Vertical space.
    pub(super) fn gap(&mut self, height: f32) {
        self.y -= height;
    }

    fn draw(&mut self, x: f32, y: f32, font: Font, size: f32, text: &str) {
        draw_line(
            &mut self.current,
            self.faces,
            &mut self.fonts,
            (x, y),
            font,
            size,
            text,
        );
    }

    /// Wrapped text starting `indent` points in from the left margin.
    pub(super) fn text(&mut self, indent: f32, font: Font, size: f32, text: &str) {
        let height = size * LEADING;
        for line in wrap(self.faces, text, font, size, TEXT_WIDTH - indent) {
            self.ensure(height);
            self.y -= height;
            self.draw(MARGIN + indent, self.y, font, size, &line);
        }
    }

    /// A section heading with a rule under it, kept on the page of its first line.
    pub(super) fn heading(&mut self, text: &str) {
        let size = 12.0;
        self.ensure(size * LEADING * 4.0);
        self.gap(8.0);
        self.text(0.0, Font::Bold, size, text);
        let y = self.y - 3.0;
        self.current
            .set_line_width(0.6)
            .move_to(MARGIN, y)
            .line_to(PAGE_WIDTH - MARGIN, y)
            .stroke();
        self.gap(6.0);
    }

    /// A bold label in a left column of `column` points and its wrapped value beside it.
    pub(super) fn row(&mut self, column: f32, label: &str, value: &str, size: f32) {
        let height = size * LEADING;
        let labels = wrap(self.faces, label, Font::Bold, size, column - 6.0);
        let values = wrap(self.faces, value, Font::Regular, size, TEXT_WIDTH - column);
        for i in 0..labels.len().max(values.len()) {
            self.ensure(height);
            self.y -= height;
            if let Some(label) = labels.get(i) {
                self.draw(MARGIN, self.y, Font::Bold, size, label);
            }
            if let Some(value) = values.get(i) {
                self.draw(MARGIN + column, self.y, Font::Regular, size, value);
            }
        }
    }

    /// Writes the document, with `footer(page, total)` at the bottom of every page.
    pub(super) fn finish(
        self,
        title: &str,
        footer: impl Fn(usize, usize) -> String,
    ) -> Result<Vec<u8>, String> {
        let Self {
            faces,
            mut fonts,
            done: mut pages,
            current,
            ..
        } = self;
        pages.push(current);
        let total = pages.len();
        for (i, page) in pages.iter_mut().enumerate() {
            let text = footer(i + 1, total);
            draw_line(
                page,
                faces,
                &mut fonts,
                (MARGIN, MARGIN),
                Font::Regular,
                8.0,
                &text,
            );
        }

        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let info = Ref::new(3);
        let page_ref = |i: usize, offset: i32| Ref::new(4 + 2 * i as i32 + offset);
        let mut next = Ref::new(4 + 2 * total as i32);

        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids((0..total).map(|i| page_ref(i, 0)))
            .count(total as i32);
        pdf.document_info(info)
            .title(TextStr(title))
            .producer(TextStr("careflow"));
        let resources = fonts.write(&mut pdf, faces, &mut next)?;
        for (i, content) in pages.into_iter().enumerate() {
            let mut page = pdf.page(page_ref(i, 0));
            page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
                .parent(tree)
                .contents(page_ref(i, 1));
            let mut page_resources = page.resources();
            let mut page_fonts = page_resources.fonts();
            for (name, font) in &resources {
                page_fonts.pair(Name(name.as_bytes()), *font);
            }
            page_fonts.finish();
            page_resources.finish();
            page.finish();
            super::embed::compressed_stream(&mut pdf, page_ref(i, 1), &content.finish());
        }
        Ok(pdf.finish())
    }
}

/// One line of text at `(x, y)`, in runs of the faces that draw its characters.
fn draw_line(
    content: &mut Content,
    faces: &Faces,
    fonts: &mut UsedFonts,
    (x, y): (f32, f32),
    font: Font,
    size: f32,
    text: &str,
) {
    content.begin_text();
    content.next_line(x, y);
    for run in fonts.runs(faces, font, text) {
        content.set_font(Name(run.resource.as_bytes()), size);
        if run.synthetic_bold {
            content
                .set_text_rendering_mode(TextRenderingMode::FillStroke)
                .set_line_width(size * SYNTHETIC_BOLD_STROKE);
        }
        content.show(Str(&run.codes));
        if run.synthetic_bold {
            content.set_text_rendering_mode(TextRenderingMode::Fill);
        }
    }
    content.end_text();
}
