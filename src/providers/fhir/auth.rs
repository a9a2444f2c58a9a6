//! Credentials the FHIR client presents, kept out of logs and `Debug` output.

use serde::Deserialize;

/// A credential (token or password). Its `Debug` and `Display` print `[redacted]`,
/// so it can sit in configuration structs that get logged.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The credential itself; only for putting it on the wire.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// How the client authenticates to the FHIR server.
#[derive(Clone, Debug, Default)]
pub enum FhirAuth {
    /// No `Authorization` header (open test servers, or a trusted network proxy).
    #[default]
    None,
    /// `Authorization: Bearer <token>` (SMART backend services, API gateways).
    Bearer(Secret),
    /// HTTP Basic with a user name and password.
    Basic {
        /// The user name; not secret.
        user: String,
        /// The password.
        password: Secret,
    },
}

impl FhirAuth {
    /// Adds this authentication to a request.
    pub(crate) fn apply(&self, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self {
            FhirAuth::None => request,
            FhirAuth::Bearer(token) => request.bearer_auth(token.expose()),
            FhirAuth::Basic { user, password } => request.basic_auth(user, Some(password.expose())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_show_in_debug_output() {
        let auth = FhirAuth::Basic {
            user: "svc-careflow".into(),
            password: Secret::new("hunter2-very-secret"),
        };
        let printed = format!("{auth:?} {}", Secret::new("tok-abc"));
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains("tok-abc"));
        assert!(printed.contains("[redacted]"));
        assert!(printed.contains("svc-careflow"));
    }
}
