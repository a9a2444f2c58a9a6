//! `[providers]`: the outside services careflow talks to, one sub-section each.

use serde::Deserialize;

use super::amion::AmionSettings;

/// `[providers]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvidersSettings {
    /// `[providers.amion]`: the Amion roster service.
    pub amion: AmionSettings,
}
