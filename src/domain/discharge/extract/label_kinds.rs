//! What a label means to the extractor: the case field it fills, the section
//! it opens, or one of the other kinds. Both the vocabulary and the line
//! reading use these, so they live apart from either.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Field {
    PatientName,
    Species,
    Breed,
    Age,
    Sex,
    Weight,
    OwnerName,
    OwnerEmail,
    OwnerPhone,
    Veterinarian,
}

impl Field {
    pub(super) const ALL: [Field; 10] = [
        Field::PatientName,
        Field::Species,
        Field::Breed,
        Field::Age,
        Field::Sex,
        Field::Weight,
        Field::OwnerName,
        Field::OwnerEmail,
        Field::OwnerPhone,
        Field::Veterinarian,
    ];

    pub(super) fn pointer(self) -> &'static str {
        match self {
            Field::PatientName => "/patient/name",
            Field::Species => "/patient/species",
            Field::Breed => "/patient/breed",
            Field::Age => "/patient/age",
            Field::Sex => "/patient/sex",
            Field::Weight => "/patient/weight",
            Field::OwnerName => "/owner/name",
            Field::OwnerEmail => "/owner/email",
            Field::OwnerPhone => "/owner/phone",
            Field::Veterinarian => "/veterinarian",
        }
    }

    pub(super) fn is_owner(self) -> bool {
        matches!(
            self,
            Field::OwnerName | Field::OwnerEmail | Field::OwnerPhone
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    Diagnoses,
    Medications,
    Instructions,
    FollowUp,
    Notes,
    History,
    Findings,
    Procedures,
    WarningSigns,
    Prognosis,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Label {
    Field(Field),
    Section(Section),
    /// A section whose items keep the label as written, because it says what
    /// they are about (`Diet: bland food for 3 days`, `Suture removal: 10 days`).
    Topic(Section),
    /// `Sig:`, the directions of the medication above it.
    Sig,
    /// An administrative detail (`Discharge date`, `Microchip`), kept as written.
    Detail,
    /// `Name`, resolved by the block it sits in.
    Name,
}
