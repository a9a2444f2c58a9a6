//! `careflow apikey create|list|revoke`: API keys in the configured database.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::table::{Table, or_dash, time};
use super::{ApiKeyCommand, tenant};
use crate::app::open_store;
use crate::auth::api_key;
use crate::config::Settings;
use crate::store::ApiKeyRow;

/// A key as `apikey list --json` prints it: never its hash.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct KeyListing {
    key_id: uuid::Uuid,
    tenant: String,
    label: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<&ApiKeyRow> for KeyListing {
    fn from(row: &ApiKeyRow) -> Self {
        Self {
            key_id: row.key_id,
            tenant: row.tenant_id.to_string(),
            label: row.label.clone(),
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        }
    }
}

/// Runs one `apikey` command.
pub(super) async fn run(command: ApiKeyCommand, settings: &Settings) -> Result<(), String> {
    match command {
        ApiKeyCommand::Create {
            tenant: name,
            label,
            output,
        } => {
            let tenant = tenant(&name)?;
            let store = open_store(settings).await.map_err(|e| e.to_string())?;
            let key = api_key::create(store.as_ref(), &tenant, &label)
                .await
                .map_err(|e| e.to_string())?;
            let value = json!({
                "keyId": key.key_id,
                "tenant": key.tenant.to_string(),
                "token": key.token,
            });
            output.print(&value, || {
                format!(
                    "key id:  {}\ntenant:  {}\ntoken:   {}\n\
                     The token is shown once and stored only as a hash; keep it safe.\n",
                    key.key_id, key.tenant, key.token
                )
            });
            Ok(())
        }
        ApiKeyCommand::List {
            tenant: name,
            output,
        } => {
            let tenant = name.as_deref().map(tenant).transpose()?;
            let store = open_store(settings).await.map_err(|e| e.to_string())?;
            let rows = store
                .list_api_keys(tenant.as_ref())
                .await
                .map_err(|e| e.to_string())?;
            let keys: Vec<KeyListing> = rows.iter().map(KeyListing::from).collect();
            output.print(&keys, || {
                let mut table = Table::new(&["KEY ID", "TENANT", "LABEL", "CREATED", "REVOKED"]);
                for k in &keys {
                    table.row(vec![
                        k.key_id.to_string(),
                        k.tenant.clone(),
                        k.label.clone(),
                        time(k.created_at),
                        or_dash(k.revoked_at.map(time)),
                    ]);
                }
                if table.is_empty() {
                    "no API keys\n".to_string()
                } else {
                    table.render()
                }
            });
            Ok(())
        }
        ApiKeyCommand::Revoke { key_id, output } => {
            let id = uuid::Uuid::try_parse(&key_id)
                .map_err(|_| format!("`{key_id}` is not a key id"))?;
            let store = open_store(settings).await.map_err(|e| e.to_string())?;
            if !store
                .revoke_api_key(id, Utc::now())
                .await
                .map_err(|e| e.to_string())?
            {
                return Err(format!("no active API key with id {id}"));
            }
            output.print(&json!({"keyId": id, "revoked": true}), || {
                format!("revoked {id}\n")
            });
            Ok(())
        }
    }
}
