//! Finds the header row of a schedule sheet and which column holds which field,
//! whatever order, spelling case or extra columns the author used.

use calamine::Data;

/// A field the importer reads from each shift row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Date,
    Shift,
    Start,
    End,
    Service,
    Required,
}

impl Role {
    /// Every field, in the order problems are reported.
    pub(super) const ALL: [Role; 6] = [
        Role::Date,
        Role::Shift,
        Role::Start,
        Role::End,
        Role::Service,
        Role::Required,
    ];

    /// Name used in messages when the sheet's own header is not at hand.
    pub(super) fn label(self) -> &'static str {
        match self {
            Role::Date => "Date",
            Role::Shift => "Shift",
            Role::Start => "Start",
            Role::End => "End",
            Role::Service => "Service",
            Role::Required => "Required staff",
        }
    }

    fn of_header(text: &str) -> Option<Role> {
        let key = text
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        Some(match key.as_str() {
            "date" | "shift date" => Role::Date,
            "shift" | "shift name" => Role::Shift,
            "start" | "start time" => Role::Start,
            "end" | "end time" => Role::End,
            "service" | "location" | "unit" => Role::Service,
            "required" | "required staff" | "staff required" | "min staff" | "headcount" => {
                Role::Required
            }
            _ => return None,
        })
    }
}

/// One recognised header column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Column {
    /// Offset within the sheet's used range.
    pub index: usize,
    /// Header text as written, trimmed.
    pub title: String,
}

/// The header row of a sheet: where it is and which column holds each field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    /// Offset of the header row within the used range.
    pub row_offset: usize,
    columns: [Option<Column>; 6],
    /// Headers naming a field already claimed by an earlier column (ignored).
    pub duplicates: Vec<String>,
}

impl Header {
    /// The column holding `role`, if the header has one.
    pub(super) fn column(&self, role: Role) -> Option<&Column> {
        self.columns[role as usize].as_ref()
    }

    /// Fields the header lacks.
    pub(super) fn missing(&self) -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|r| self.column(*r).is_none())
            .collect()
    }
}

/// Reads `row` as a header: `Some` when it names at least Date and Shift.
pub(super) fn header_of(row: &[Data], row_offset: usize) -> Option<Header> {
    let mut columns: [Option<Column>; 6] = Default::default();
    let mut duplicates = Vec::new();
    for (index, cell) in row.iter().enumerate() {
        let Data::String(text) = cell else { continue };
        let Some(role) = Role::of_header(text) else {
            continue;
        };
        let slot = &mut columns[role as usize];
        if slot.is_some() {
            duplicates.push(text.trim().to_owned());
        } else {
            *slot = Some(Column {
                index,
                title: text.trim().to_owned(),
            });
        }
    }
    let header = Header {
        row_offset,
        columns,
        duplicates,
    };
    (header.column(Role::Date).is_some() && header.column(Role::Shift).is_some()).then_some(header)
}

/// The first row of `rows` that reads as a header.
pub(super) fn find_header<'a>(rows: impl Iterator<Item = &'a [Data]>) -> Option<Header> {
    rows.enumerate()
        .find_map(|(offset, row)| header_of(row, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Vec<Data> {
        cells
            .iter()
            .map(|c| match c {
                &"" => Data::Empty,
                c => Data::String((*c).to_owned()),
            })
            .collect()
    }

    #[test]
    fn headers_match_in_any_order_case_and_spacing() {
        let r = row(&[
            "Notes",
            " unit ",
            "SHIFT",
            "End  Time",
            "start",
            "date",
            "Min Staff",
        ]);
        let h = header_of(&r, 0).unwrap();
        assert_eq!(h.column(Role::Date).unwrap().index, 5);
        assert_eq!(h.column(Role::Service).unwrap().title, "unit");
        assert_eq!(h.column(Role::End).unwrap().index, 3);
        assert_eq!(h.column(Role::Required).unwrap().title, "Min Staff");
        assert!(h.missing().is_empty());
    }

    #[test]
    fn the_first_row_naming_date_and_shift_is_the_header() {
        let rows = [
            row(&["Schedule for March", "", ""]),
            row(&["", "Date", "Notes"]),
            row(&["Date", "Shift", "Headcount"]),
            row(&["Date", "Shift", "Start"]),
        ];
        let h = find_header(rows.iter().map(Vec::as_slice)).unwrap();
        assert_eq!(h.row_offset, 2);
        assert_eq!(h.missing(), vec![Role::Start, Role::End, Role::Service]);
    }

    #[test]
    fn a_second_column_for_the_same_field_is_reported_and_ignored() {
        let h = header_of(&row(&["Date", "Shift", "Service", "Location"]), 0).unwrap();
        assert_eq!(h.column(Role::Service).unwrap().index, 2);
        assert_eq!(h.duplicates, vec!["Location".to_owned()]);
    }

    #[test]
    fn a_sheet_without_date_and_shift_headers_has_no_header() {
        let rows = [
            row(&["Code", "Start", "End"]),
            row(&["D", "07:00", "19:00"]),
        ];
        assert!(find_header(rows.iter().map(Vec::as_slice)).is_none());
    }
}
