//! The corpus test: realistic discharge notes in `tests/fixtures/discharge_notes`
//! (`NN-name.txt`), each read and compared with what a reader expects from it
//! (`NN-name.expected.json`: the case and the tally). `CAREFLOW_BLESS=1` writes
//! the expected files from the current extractor, for review before committing.

use std::path::PathBuf;

use serde_json::{Value, json};

use super::extract_case;
use crate::domain::discharge::phone::PhoneRegion;

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/discharge_notes")
}

#[test]
fn every_note_of_the_corpus_is_read_as_expected() {
    let mut notes: Vec<PathBuf> = std::fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    notes.sort();
    assert!(notes.len() >= 15, "the corpus has {} notes", notes.len());
    let bless = std::env::var("CAREFLOW_BLESS").is_ok_and(|v| v == "1");
    let us = PhoneRegion::parse("US").unwrap();
    let mut failures = Vec::new();
    for note in &notes {
        let text = std::fs::read_to_string(note).unwrap();
        let read = extract_case(&text, &us)
            .unwrap_or_else(|p| panic!("{} was refused: {p}", note.display()));
        let got = json!({"data": read.data, "entities": read.entities});
        let expected_path = note.with_extension("expected.json");
        if bless {
            std::fs::write(
                &expected_path,
                serde_json::to_string_pretty(&got).unwrap() + "\n",
            )
            .unwrap();
            continue;
        }
        let expected: Value = std::fs::read_to_string(&expected_path)
            .map(|s| serde_json::from_str(&s).unwrap())
            .unwrap_or_else(|_| panic!("{} has no expected file", note.display()));
        if got != expected {
            failures.push(format!(
                "{}:\n  expected {expected}\n  got      {got}",
                note.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
