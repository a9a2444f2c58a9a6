//! The dashboard's files, compiled into the binary from `src/ui/assets/`, and the
//! version that names them in URLs.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

/// One embedded file.
#[derive(Debug, Clone, Copy)]
pub struct Asset {
    /// Path below the assets folder, as requested.
    pub path: &'static str,
    /// `Content-Type` it is served with.
    pub content_type: &'static str,
    /// Its bytes.
    pub body: &'static str,
}

const JS: &str = "text/javascript; charset=utf-8";

macro_rules! asset {
    ($path:literal, $type:expr) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_str!(concat!("assets/", $path)),
        }
    };
}

/// Every file the page may load. A file missing here is a compile error.
pub const ASSETS: &[Asset] = &[
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("live.js", JS),
    asset!("views/runs.js", JS),
    asset!("views/run.js", JS),
    asset!("views/waterfall.js", JS),
    asset!("views/events.js", JS),
    asset!("views/health.js", JS),
    asset!("views/care.js", JS),
    asset!("views/schedules.js", JS),
    asset!("views/encounters.js", JS),
    asset!("views/calls.js", JS),
];

const INDEX: &str = include_str!("assets/index.html");

/// The asset named `path`.
pub fn find(path: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.path == path)
}

static VERSION: LazyLock<String> = LazyLock::new(|| {
    let mut hash = Sha256::new();
    for a in ASSETS {
        hash.update(a.path.as_bytes());
        hash.update([0]);
        hash.update(a.body.as_bytes());
        hash.update([0]);
    }
    hash.update(INDEX.as_bytes());
    hex::encode(&hash.finalize()[..6])
});

/// A hash of every asset: the URL segment that changes whenever any file does.
pub fn version() -> &'static str {
    &VERSION
}

static INDEX_HTML: LazyLock<String> =
    LazyLock::new(|| INDEX.replace("{{assets}}", &format!("/ui/assets/{}", version())));

/// The page, with this build's asset URLs.
pub fn index_html() -> &'static str {
    &INDEX_HTML
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_module_import_names_an_embedded_asset() {
        // `import ... from "./x.js"` inside an asset resolves next to it; a missing
        // file would only show in a browser, so it is checked here.
        for a in ASSETS.iter().filter(|a| a.path.ends_with(".js")) {
            let dir = a.path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
            for line in a
                .body
                .lines()
                .filter(|l| l.trim_start().starts_with("import "))
            {
                let Some(spec) = line.split('"').nth(1) else {
                    continue;
                };
                let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
                for seg in spec.split('/') {
                    match seg {
                        "." => {}
                        ".." => {
                            parts.pop();
                        }
                        s => parts.push(s),
                    }
                }
                let target = parts.join("/");
                assert!(
                    find(&target).is_some(),
                    "{} imports {spec}, which is not embedded",
                    a.path
                );
            }
        }
    }

    #[test]
    fn the_page_names_this_builds_assets_and_has_no_inline_script() {
        let html = index_html();
        assert!(html.contains(&format!("/ui/assets/{}/app.js", version())));
        assert!(!html.contains("{{assets}}"));
        assert!(!html.contains("<script>"), "inline scripts break the CSP");
        assert!(!html.contains("style="), "inline styles break the CSP");
    }
}
