//! The `[encounters]` keys only this workflow reads into domain types: the rule set
//! (`[encounters.rules]`) and each source's tenant. `config` keeps them as plain
//! values; start-up reads them here and stops on a problem, naming its key.

use crate::config::EncounterSettings;
use crate::domain::encounter::rules::RuleSet;
use crate::store::TenantId;

/// The configured rule set, or the built-in one when `[encounters.rules]` is absent;
/// every problem names its key (`encounters.rules.payers[0].payer: ...`).
pub fn rule_set(settings: &EncounterSettings) -> Result<RuleSet, Vec<String>> {
    let Some(value) = &settings.rules else {
        return Ok(RuleSet::builtin());
    };
    let rules: RuleSet = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let at = if path == "." {
            String::new()
        } else {
            format!(".{path}")
        };
        vec![format!("encounters.rules{at}: {}", e.inner())]
    })?;
    rules.validate().map_err(|problems| {
        problems
            .as_slice()
            .iter()
            .map(|p| format!("encounters.rules{}: {}", p.pointer, p.message))
            .collect::<Vec<_>>()
    })?;
    Ok(rules)
}

/// Every problem of the keys read here: the rule set and the sources' tenants.
pub fn problems(settings: &EncounterSettings) -> Vec<String> {
    let mut out = rule_set(settings).err().unwrap_or_default();
    for (i, s) in settings.sources.iter().enumerate() {
        if let Err(e) = TenantId::parse(&s.tenant) {
            out.push(format!("encounters.sources[{i}].tenant: {e}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use figment::Figment;
    use figment::providers::{Format, Toml};

    use super::*;
    use crate::config::{DEFAULT_TOML, Settings};

    fn load(extra: &str) -> EncounterSettings {
        Figment::new()
            .merge(Toml::string(DEFAULT_TOML))
            .merge(Toml::string(extra))
            .extract::<Settings>()
            .unwrap()
            .encounters
    }

    #[test]
    fn an_inline_rule_set_is_read_and_absent_means_the_built_in_one() {
        let s = load(
            r#"
            [encounters.rules]
            name = "acme"
            [[encounters.rules.payers]]
            payer = "*"
            [[encounters.rules.payers.diagnosis_prefixes]]
            prefix = "J18"
            description = "Pneumonia"
            "#,
        );
        assert_eq!(rule_set(&s).unwrap().name, "acme");
        assert_eq!(rule_set(&load("")).unwrap().name, "default");
    }

    #[test]
    fn rule_set_and_tenant_problems_name_their_keys() {
        let s = load(
            r#"
            [encounters.rules]
            name = "acme"
            [[encounters.rules.payers]]
            payer = "*"
            colour = "blue"
            [[encounters.sources]]
            name = "a"
            base_url = "https://ehr.example/fhir"
            tenant = ""
            "#,
        );
        let found = problems(&s).join("\n");
        for expected in [
            "encounters.rules.payers[0]",
            "colour",
            "encounters.sources[0].tenant",
        ] {
            assert!(found.contains(expected), "{expected} in:\n{found}");
        }
        let blank = load("[encounters.rules]\nname = \" \"\n");
        let found = problems(&blank).join("\n");
        assert!(found.starts_with("encounters.rules"), "{found}");
    }
}
