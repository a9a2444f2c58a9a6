//! The roster-grid layout over HTTP: a legend of shift codes and a grid of people by
//! date become shift instances, the grid's people their assignments, with problems
//! reported by sheet, row and column like the long table's.

use serde_json::Value;

use super::*;
use crate::both_backends;
use crate::helpers::{Backend, TestApp, json};
use crate::ods::{Cell, raw_sheet, workbook};

/// A legend (Day 07-19 needing 2, Night 19-07 needing 1, OFF) and a March grid of
/// four people over two days, with one unknown code and one nameless row. By hand:
/// March 2 Day: Okafor, Moreau = 2 of 2; Night: Lindqvist = 1 of 1. March 3 Day:
/// Okafor = 1 of 2; Night: nobody = 0 of 1. Overall 4 of 6 = 66.7 %.
fn grid_workbook() -> Vec<u8> {
    use Cell::{Date, Empty, Hours, Number, Text};
    workbook(vec![
        raw_sheet(
            "Legend",
            &[
                vec![Text("Shift codes")],
                vec![
                    Text("Code"),
                    Text("Shift"),
                    Text("Start"),
                    Text("End"),
                    Text("Required staff"),
                ],
                vec![Text("D"), Text("Day"), Hours(7), Hours(19), Number(2.0)],
                vec![Text("N"), Text("Night"), Hours(19), Hours(7), Number(1.0)],
                vec![Text("OFF"), Text("Day off"), Empty, Empty, Empty],
            ],
        ),
        raw_sheet(
            "March",
            &[
                vec![Text("Name"), Date(d(2)), Date(d(3))],
                vec![Text("Okafor, Ada"), Text("D"), Text("d")],
                vec![Text("Lindqvist, Per"), Text("N"), Text("OFF")],
                vec![Text("Moreau, Ines"), Text("D"), Text("X")],
                vec![Empty, Text("D"), Empty],
            ],
        ),
    ])
}

async fn a_roster_grid_with_a_legend_imports_shifts_and_its_people(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let h = hospital(&app, "St. Elsewhere").await;
    let form = Form::default()
        .file("march-grid.ods", grid_workbook())
        .text("hospitalId", &h);
    let result = json(send(&app, &app.token, &form, "20s").await).await;
    assert_eq!(result["status"], "completed", "{result}");
    assert_eq!(result["scheduleVersion"]["shiftCount"], 4);
    assert_eq!(
        result["scheduleVersion"]["dateRange"],
        serde_json::json!({"start": "2026-03-02", "end": "2026-03-03"})
    );
    assert_eq!(result["coverage"]["overallPercentage"], 66.7);

    // Problems are reported as for the long table: sheet, row, column, message.
    let errors = result["validation"]["errors"].as_array().unwrap();
    let located: Vec<(Value, Value, Value)> = errors
        .iter()
        .map(|e| (e["sheet"].clone(), e["row"].clone(), e["column"].clone()))
        .collect();
    assert_eq!(
        located,
        vec![
            ("March".into(), 4.into(), "2026-03-03".into()),
            ("March".into(), 5.into(), "Name".into()),
        ],
        "{errors:?}"
    );
    assert!(
        errors[0]["message"]
            .as_str()
            .unwrap()
            .contains("X is not in the legend")
    );
    assert!(errors.iter().all(|e| e["phase"] == "odsImport"));
    let infos = result["validation"]["infos"].to_string();
    assert!(infos.contains("legend of shift codes"), "{infos}");

    let id = result["scheduleVersion"]["id"].as_str().unwrap();
    let v = json(app.get(&format!("/v1/schedules/versions/{id}")).await).await;
    let shifts: Vec<(String, String, i64, Vec<String>)> = v["shifts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let people = s["assignments"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["staffName"].as_str().unwrap().to_owned())
                .collect();
            (
                s["start"].as_str().unwrap().to_owned(),
                s["shiftName"].as_str().unwrap().to_owned(),
                s["requiredStaff"].as_i64().unwrap(),
                people,
            )
        })
        .collect();
    assert_eq!(
        shifts,
        vec![
            (
                "2026-03-02T07:00:00Z".into(),
                "Day".into(),
                2,
                vec!["Okafor, Ada".into(), "Moreau, Ines".into()]
            ),
            (
                "2026-03-02T19:00:00Z".into(),
                "Night".into(),
                1,
                vec!["Lindqvist, Per".into()]
            ),
            (
                "2026-03-03T07:00:00Z".into(),
                "Day".into(),
                2,
                vec!["Okafor, Ada".into()]
            ),
            ("2026-03-03T19:00:00Z".into(), "Night".into(), 1, vec![]),
        ]
    );
    assert_eq!(
        v["shifts"][1]["end"], "2026-03-03T07:00:00Z",
        "Night ends next day"
    );
    assert_eq!(v["shifts"][3]["coverageStatus"], "uncovered");

    // A grid without any legend is refused like a sheet without a header.
    let no_legend = workbook(vec![raw_sheet(
        "March",
        &[
            vec![Cell::Text("Name"), Cell::Date(d(2))],
            vec![Cell::Text("Okafor, Ada"), Cell::Text("D")],
        ],
    )]);
    let form = Form::default()
        .file("grid.ods", no_legend)
        .text("hospitalId", &h);
    let result = json(send(&app, &app.token, &form, "20s").await).await;
    assert_eq!(result["status"], "failed", "{result}");
    let errors = result["validation"]["errors"].to_string();
    assert!(errors.contains("needs a legend of shift codes"), "{errors}");
}

both_backends!(a_roster_grid_with_a_legend_imports_shifts_and_its_people);
