//! Units as people write them. FHIR quantities carry UCUM codes (`Cel`, `mm[Hg]`,
//! `10*3/uL`), and many servers copy the code into the display unit too, which
//! would print `39.6 Cel`. Known codes are shown the way clinicians write them.

/// UCUM codes and how they are written, for the units of vital signs, common
/// laboratory results and body measures.
const DISPLAY: &[(&str, &str)] = &[
    ("Cel", "°C"),
    ("[degF]", "°F"),
    ("mm[Hg]", "mmHg"),
    ("cm[H2O]", "cmH₂O"),
    ("{beats}/min", "beats/min"),
    ("{breaths}/min", "breaths/min"),
    ("kg/m2", "kg/m²"),
    ("m2", "m²"),
    ("[lb_av]", "lb"),
    ("[oz_av]", "oz"),
    ("[in_i]", "in"),
    ("[ft_i]", "ft"),
    ("ug", "µg"),
    ("ug/L", "µg/L"),
    ("ug/dL", "µg/dL"),
    ("ug/mL", "µg/mL"),
    ("ug/kg/min", "µg/kg/min"),
    ("uL", "µL"),
    ("umol/L", "µmol/L"),
    ("uU/mL", "µU/mL"),
    ("u[IU]/mL", "µIU/mL"),
    ("[iU]", "IU"),
    ("[IU]", "IU"),
    ("[iU]/L", "IU/L"),
    ("[IU]/L", "IU/L"),
    ("meq/L", "mEq/L"),
    ("10*3/uL", "×10³/µL"),
    ("10*6/uL", "×10⁶/µL"),
    ("10*9/L", "×10⁹/L"),
    ("10*12/L", "×10¹²/L"),
    ("mL/min/{1.73_m2}", "mL/min/1.73 m²"),
    ("[pH]", "pH"),
];

/// How a unit is written: the display form of a known UCUM code, anything else
/// (already a display text such as `beats/minute`) as it is.
pub fn display_unit(unit: &str) -> &str {
    let unit = unit.trim();
    DISPLAY
        .iter()
        .find(|(code, _)| *code == unit)
        .map_or(unit, |(_, shown)| shown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ucum_codes_are_written_as_clinicians_write_them() {
        assert_eq!(display_unit("Cel"), "°C");
        assert_eq!(display_unit("[degF]"), "°F");
        assert_eq!(display_unit("mm[Hg]"), "mmHg");
        assert_eq!(display_unit("10*3/uL"), "×10³/µL");
        assert_eq!(display_unit("kg/m2"), "kg/m²");
    }

    #[test]
    fn display_texts_and_unknown_codes_are_kept() {
        assert_eq!(display_unit("beats/minute"), "beats/minute");
        assert_eq!(display_unit("mg/dL"), "mg/dL");
        assert_eq!(display_unit("%"), "%");
    }
}
