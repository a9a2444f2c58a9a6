//! The sections of the prior-authorization form, each laid out in turn.

use super::fonts::Font;
use super::layout::Layout;
use crate::domain::encounter::analysis::Analysis;
use crate::domain::encounter::model::{
    Code, ConditionSummary, CoverageSummary, EncounterSummary, ObservationSummary, PatientSummary,
    ProviderSummary, RequestedService,
};

/// Width of the label column of key-value rows.
pub(super) const LABEL_COLUMN: f32 = 130.0;
/// Width of the code column of diagnosis and observation rows.
const CODE_COLUMN: f32 = 80.0;

fn or_unknown(value: Option<&str>) -> &str {
    value
        .filter(|v| !v.trim().is_empty())
        .unwrap_or("not recorded")
}

pub(super) fn recommendation(page: &mut Layout, analysis: &Analysis) {
    page.heading("Recommendation");
    page.text(0.0, Font::Bold, 14.0, analysis.recommendation());
    page.gap(2.0);
    let confidence = format!("{:.0}%", analysis.confidence * 100.0);
    page.row(LABEL_COLUMN, "Confidence", &confidence, 10.0);
    page.row(LABEL_COLUMN, "Analyzer", &analysis.analyzer, 10.0);
}

pub(super) fn patient(page: &mut Layout, patient: &PatientSummary) {
    page.heading("Patient");
    page.row(
        LABEL_COLUMN,
        "Name",
        or_unknown(patient.name.as_deref()),
        10.0,
    );
    page.row(
        LABEL_COLUMN,
        "Date of birth",
        or_unknown(patient.birth_date.as_deref()),
        10.0,
    );
    page.row(
        LABEL_COLUMN,
        "Gender",
        or_unknown(patient.gender.as_deref()),
        10.0,
    );
    page.row(LABEL_COLUMN, "Patient ID", &patient.id, 10.0);
    for identifier in &patient.identifiers {
        let text = match &identifier.system {
            Some(system) => format!("{} ({system})", identifier.value),
            None => identifier.value.clone(),
        };
        page.row(LABEL_COLUMN, "Identifier", &text, 10.0);
    }
}

pub(super) fn coverage(page: &mut Layout, coverages: &[CoverageSummary]) {
    page.heading("Payer and member");
    if coverages.is_empty() {
        page.text(0.0, Font::Regular, 10.0, "No coverage recorded.");
    }
    for (i, coverage) in coverages.iter().enumerate() {
        if i > 0 {
            page.gap(4.0);
        }
        let label = match coverage.order {
            Some(1) => "Payer (primary)".to_owned(),
            Some(2) => "Payer (secondary)".to_owned(),
            Some(n) => format!("Payer ({n}.)"),
            None => "Payer".to_owned(),
        };
        page.row(
            LABEL_COLUMN,
            &label,
            or_unknown(coverage.payer.as_deref()),
            10.0,
        );
        page.row(
            LABEL_COLUMN,
            "Member ID",
            or_unknown(coverage.member_id.as_deref()),
            10.0,
        );
        for class in &coverage.classes {
            page.row(LABEL_COLUMN, "Plan", class, 10.0);
        }
    }
}

pub(super) fn requesting_provider(page: &mut Layout, provider: Option<&ProviderSummary>) {
    page.heading("Requesting provider");
    let Some(provider) = provider else {
        page.text(0.0, Font::Regular, 10.0, "No requesting provider recorded.");
        return;
    };
    page.row(
        LABEL_COLUMN,
        "Name",
        or_unknown(provider.name.as_deref()),
        10.0,
    );
    page.row(
        LABEL_COLUMN,
        "NPI",
        or_unknown(provider.npi.as_deref()),
        10.0,
    );
    if let Some(role) = &provider.role {
        page.row(LABEL_COLUMN, "Role", role, 10.0);
    }
}

pub(super) fn services(page: &mut Layout, services: &[RequestedService]) {
    page.heading("Requested services");
    if services.is_empty() {
        page.text(0.0, Font::Regular, 10.0, "No services recorded.");
    }
    for service in services {
        let code = service.codes.first();
        let mut text = code
            .and_then(|c| c.display.clone())
            .or(service.text.clone())
            .unwrap_or_else(|| "Service".to_owned());
        if let Some(system) = code.and_then(Code::system_label) {
            text.push_str(&format!(" ({system})"));
        }
        let units = service.units.as_deref().unwrap_or("units not stated");
        let dates = match (service.start.as_deref(), service.end.as_deref()) {
            (Some(start), Some(end)) if start != end => format!("{start} to {end}"),
            (Some(day), _) | (None, Some(day)) => day.to_owned(),
            (None, None) => "dates not stated".to_owned(),
        };
        let text = format!("{text} \u{b7} Units: {units} \u{b7} Dates: {dates}");
        page.row(
            CODE_COLUMN,
            code.map_or("-", |c| c.code.as_str()),
            &text,
            10.0,
        );
    }
}

pub(super) fn encounter(page: &mut Layout, encounter: &EncounterSummary) {
    page.heading("Encounter");
    page.row(LABEL_COLUMN, "Encounter ID", &encounter.id, 10.0);
    let class = encounter.class.as_ref().map(Code::with_display);
    page.row(LABEL_COLUMN, "Class", or_unknown(class.as_deref()), 10.0);
    for kind in &encounter.types {
        page.row(LABEL_COLUMN, "Type", &kind.with_display(), 10.0);
    }
    for reason in &encounter.reasons {
        page.row(LABEL_COLUMN, "Reason", &reason.with_display(), 10.0);
    }
    let period = format!(
        "{} to {}",
        or_unknown(encounter.period_start.as_deref()),
        or_unknown(encounter.period_end.as_deref())
    );
    page.row(LABEL_COLUMN, "Period", &period, 10.0);
    let provider = encounter.service_provider.as_deref();
    page.row(LABEL_COLUMN, "Provider", or_unknown(provider), 10.0);
}

pub(super) fn diagnoses(page: &mut Layout, diagnoses: &[ConditionSummary]) {
    page.heading("Diagnoses");
    if diagnoses.is_empty() {
        page.text(0.0, Font::Regular, 10.0, "No diagnoses recorded.");
    }
    for condition in diagnoses {
        let status: Vec<&str> = [
            condition.verification_status.as_deref(),
            condition.clinical_status.as_deref(),
        ]
        .into_iter()
        .flatten()
        .collect();
        let status = if status.is_empty() {
            String::new()
        } else {
            format!(" - {}", status.join(", "))
        };
        if condition.codes.is_empty() {
            let text = format!("{}{status}", or_unknown(condition.text.as_deref()));
            page.row(CODE_COLUMN, "(uncoded)", &text, 10.0);
        }
        for code in &condition.codes {
            let mut text = code
                .display
                .clone()
                .or(condition.text.clone())
                .unwrap_or_default();
            if let Some(system) = code.system_label() {
                text.push_str(&format!(" ({system})"));
            }
            text.push_str(&status);
            page.row(CODE_COLUMN, &code.code, text.trim(), 10.0);
        }
    }
}

pub(super) fn observations(page: &mut Layout, observations: &[ObservationSummary]) {
    page.heading("Supporting observations");
    if observations.is_empty() {
        page.text(0.0, Font::Regular, 10.0, "No observations recorded.");
    }
    for o in observations {
        let code = o.codes.first();
        let name = code
            .and_then(|c| c.display.clone())
            .or(o.text.clone())
            .unwrap_or_else(|| "Observation".to_owned());
        let mut results: Vec<String> = o.value.shown().into_iter().collect();
        results.extend(o.components.iter().filter_map(|c| {
            let label = c.codes.first().map(Code::with_display).unwrap_or_default();
            Some(format!("{label}: {}", c.value.shown()?))
        }));
        let when = o
            .effective
            .as_deref()
            .map(|t| format!(" ({t})"))
            .unwrap_or_default();
        let text = format!("{name}: {}{when}", results.join("; "));
        page.row(
            CODE_COLUMN,
            code.map_or("-", |c| c.code.as_str()),
            &text,
            10.0,
        );
    }
}

pub(super) fn criteria(page: &mut Layout, analysis: &Analysis) {
    page.heading("Criteria met");
    if analysis.criteria_met.is_empty() {
        page.text(0.0, Font::Regular, 10.0, "No criterion met.");
    }
    for (i, criterion) in analysis.criteria_met.iter().enumerate() {
        let title = format!("{}. {} [{}]", i + 1, criterion.description, criterion.rule);
        page.text(0.0, Font::Bold, 10.0, &title);
        if !criterion.evidence.is_empty() {
            let evidence = format!("Evidence: {}", criterion.evidence);
            page.text(14.0, Font::Regular, 9.0, &evidence);
        }
    }
}
