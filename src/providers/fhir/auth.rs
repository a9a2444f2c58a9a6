//! Credentials the FHIR client presents, kept out of logs and `Debug` output.

pub use crate::config::Secret;

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
