//! The words that shape how the rule table reads a reply: negations, clause breaks,
//! temperature words and the fever thresholds (documented in the parent module).

/// Words that negate a finding up to [`NEGATION_WINDOW`] words later in the same clause.
pub(super) const NEGATORS: &[&str] = &[
    "no", "not", "never", "without", "dont", "doesnt", "didnt", "isnt", "arent", "wasnt", "werent",
    "havent", "hasnt", "hadnt", "nor", "denies", "deny", "none", "zero", // Spanish:
    "sin", "nunca", "ni", "tampoco", "nada",
];

/// How many words before a finding a negator may stand.
pub(super) const NEGATION_WINDOW: usize = 4;

/// Words right after a finding that say it is over ("pain free", "bleeding stopped").
pub(super) const POST_NEGATORS: &[&str] = &["free", "gone", "resolved", "stopped"];

/// How many words after a finding a post-negator may stand ("pain is gone").
pub(super) const POST_NEGATION_WINDOW: usize = 2;

/// Words that start a new clause, ending the reach of a negation ("no fever but severe pain").
pub(super) const CLAUSE_WORDS: &[&str] = &[
    "but", "however", "although", "though", "except", "yet", "pero", "aunque", "sino",
];

/// Words that make a number in the reply a body temperature reading.
pub(super) const TEMPERATURE_WORDS: &[&str] = &[
    "fever*",
    "temp",
    "temps",
    "temperature",
    "febrile",
    "fiebre",
    "temperatura",
    "calentura",
];

/// Words allowed between a reading and its unit ("39 degrees C").
pub(super) const DEGREE_WORDS: &[&str] = &["degrees", "degree", "deg", "grados", "grado"];

/// A fever from this reading in degrees Celsius.
pub(super) const FEVER_CELSIUS: f64 = 38.0;
/// A fever from this reading in degrees Fahrenheit (38.0 °C).
pub(super) const FEVER_FAHRENHEIT: f64 = 100.4;
/// Readings above this are not Celsius body temperatures.
pub(super) const MAX_CELSIUS: f64 = 45.0;
/// Readings above this are not Fahrenheit body temperatures.
pub(super) const MAX_FAHRENHEIT: f64 = 115.0;
