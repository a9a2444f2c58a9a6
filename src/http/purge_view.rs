//! The record of an erasure as `POST /v1/purges` and `GET /v1/purges` show it:
//! who asked, when, what kind of selector and a hash of its value (never the
//! value), and how many records of each kind went.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::stored::{Unlisted, enum_value, json_value};
use crate::auth::CredentialKind;
use crate::store::PurgeRow;

/// What a purge selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SelectorKind {
    /// One run (`DELETE /v1/runs/{id}`).
    Run,
    /// A correlation id.
    CorrelationId,
    /// A patient.
    PatientReference,
}

/// A purge's selector, never its value.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = PurgeSelector)]
pub struct SelectorView {
    /// What was selected.
    pub kind: SelectorKind,
    /// `sha256:` and the hex SHA-256 of tenant id, kind and value, each followed by a
    /// line feed.
    #[schema(pattern = "^sha256:[0-9a-f]{64}$")]
    pub hash: String,
}

/// The record of an erasure.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Purge {
    /// Id.
    pub purge_id: Uuid,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Who: `apikey:<key id>` or the JWT's subject.
    pub credential: String,
    /// The kind of credential.
    pub credential_kind: CredentialKind,
    /// What was selected.
    pub selector: SelectorView,
    /// Records erased by kind (`runs`, `steps`, `events`, `dischargeCases`, `tasks`,
    /// `notifications`, ...); kinds with none are left out.
    pub erased: BTreeMap<String, u64>,
}

impl Purge {
    /// The purge `row`. Kinds are stored as earlier versions wrote them
    /// (`apiKey`, `correlationId`): the hash covers the selector's stored kind, so
    /// that one cannot change, and the answer spells both the API's way.
    pub fn of(row: &PurgeRow) -> Result<Self, Unlisted> {
        Ok(Self {
            purge_id: row.purge_id,
            created_at: row.created_at,
            credential: row.credential.clone(),
            credential_kind: enum_value("purges.credential_kind", &row.credential_kind)?,
            selector: SelectorView {
                kind: enum_value("purges.selector_kind", &row.selector_kind)?,
                hash: row.selector_hash.clone(),
            },
            erased: json_value("purges.erased", row.erased.0.clone())?,
        })
    }
}

/// `GET /v1/purges`: a page of purges, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PurgePage {
    /// The purges.
    pub purges: Vec<Purge>,
    /// `cursor` of the next page; `null` on the last one.
    #[schema(required = true)]
    pub next_cursor: Option<Uuid>,
}
