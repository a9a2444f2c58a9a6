//! A headless Chromium driven through WebDriver (chromedriver), for the dashboard's
//! browser tests: just the commands they use, over plain HTTP and JSON.
//!
//! Chromium runs with a fresh profile in a temporary directory and without any
//! network service of its own (the machine's network is closed); the driver and the
//! browser are killed when the [`Browser`] is dropped.

use std::net::TcpListener;
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};
use tokio::process::{Child, Command};

/// WebDriver's key for element references.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long a wait for a fact in the page may take.
const WAIT: Duration = Duration::from_secs(20);

/// A browser session.
pub struct Browser {
    http: reqwest::Client,
    base: String,
    _driver: Child,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn binary(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_string())
}

impl Browser {
    /// Starts chromedriver and a headless Chromium `width` pixels wide.
    pub async fn start(width: u32, height: u32) -> Self {
        let driver_path = binary("CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = binary("CHROMIUM", "/usr/bin/chromium");
        assert!(
            std::path::Path::new(&driver_path).exists() && std::path::Path::new(&chromium).exists(),
            "the browser tests need Chromium and its driver \
             (Debian: apt-get install chromium chromium-driver; .ci/run installs them)"
        );
        let port = free_port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let http = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        // Wait for the driver to answer its status (a fact, polled).
        let ready = async {
            loop {
                if let Ok(r) = http.get(format!("{base}/status")).send().await
                    && let Ok(v) = r.json::<Value>().await
                    && v["value"]["ready"] == true
                {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(WAIT, ready)
            .await
            .expect("chromedriver became ready");
        let profile = tempfile::tempdir().expect("profile directory");
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--hide-scrollbars".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": chromium, "args": args},
        }}});
        let r: Value = http
            .post(format!("{base}/session"))
            .json(&caps)
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session JSON");
        let id = r["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {r}"))
            .to_string();
        let mut browser = Self {
            http,
            base: format!("{base}/session/{id}"),
            _driver: driver,
            _profile: profile,
        };
        browser.resize(width, height).await;
        browser
    }

    /// A WebDriver command; `Err` with WebDriver's error and message.
    async fn try_call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req
            .send()
            .await
            .expect("webdriver request")
            .json()
            .await
            .expect("webdriver JSON");
        match v["value"]["error"].as_str() {
            Some(err) => Err(format!("{err}: {}", v["value"]["message"])),
            None => Ok(v["value"].clone()),
        }
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        self.try_call(method, path, body)
            .await
            .unwrap_or_else(|e| panic!("webdriver {path}: {e}"))
    }

    /// Sets the window size.
    pub async fn resize(&mut self, width: u32, height: u32) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({"width": width, "height": height})),
        )
        .await;
    }

    /// Loads a URL.
    pub async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({"url": url})))
            .await;
    }

    /// Runs a script in the page and returns its value.
    pub async fn js(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    /// Waits until `condition` (a JavaScript expression) is true in the page.
    pub async fn wait_for(&self, condition: &str) {
        // A condition that throws (an element not drawn yet) is simply not true yet.
        let script = format!("try {{ return !!({condition}); }} catch (e) {{ return false; }}");
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if self.js(&script).await == json!(true) {
                return;
            }
            if tokio::time::Instant::now() > deadline {
                let body = self.js("return document.body.innerText").await;
                panic!("the page never showed `{condition}`; it shows:\n{body}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn element(&self, css: &str) -> String {
        self.wait_for(&format!("document.querySelector({css:?})"))
            .await;
        let v = self
            .call(
                reqwest::Method::POST,
                "/element",
                Some(json!({"using": "css selector", "value": css})),
            )
            .await;
        v[ELEMENT].as_str().expect("element id").to_string()
    }

    /// Clicks the first element matching `css`, once it exists, as a user would. A
    /// live view may redraw the element between finding and clicking it; then the
    /// new one is found and clicked.
    pub async fn click(&self, css: &str) {
        for _ in 0..20 {
            let id = self.element(css).await;
            let path = format!("/element/{id}/click");
            match self
                .try_call(reqwest::Method::POST, &path, Some(json!({})))
                .await
            {
                Ok(_) => return,
                Err(e) if e.starts_with("stale element reference") => continue,
                Err(e) => panic!("clicking {css}: {e}"),
            }
        }
        panic!("{css} kept being redrawn before it could be clicked");
    }

    /// Types `text` into the first element matching `css`.
    pub async fn type_into(&self, css: &str, text: &str) {
        let id = self.element(css).await;
        self.call(
            reqwest::Method::POST,
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        )
        .await;
    }

    /// How many elements match `css`.
    pub async fn count(&self, css: &str) -> usize {
        self.js(&format!("return document.querySelectorAll({css:?}).length"))
            .await
            .as_u64()
            .unwrap_or(0) as usize
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        let v = self.call(reqwest::Method::GET, "/screenshot", None).await;
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().expect("screenshot data"))
            .expect("base64 PNG")
    }

    /// Ends the session: Chromium quits, then the driver is killed.
    pub async fn close(self) {
        drop(self);
    }
}

impl Drop for Browser {
    /// Deletes the session even when a test failed half-way, so no Chromium outlives
    /// its test (killing the driver alone would leave the browser running). Blocking
    /// and bounded: a plain HTTP/1.1 DELETE on a socket with timeouts.
    fn drop(&mut self) {
        use std::io::{Read, Write};
        let Some(rest) = self.base.strip_prefix("http://") else {
            return;
        };
        let Some((host, path)) = rest.split_once('/') else {
            return;
        };
        let Ok(addr) = host.parse::<std::net::SocketAddr>() else {
            return;
        };
        let Ok(mut socket) = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(2))
        else {
            return;
        };
        let _ = socket.set_read_timeout(Some(Duration::from_secs(10)));
        let request = format!(
            "DELETE /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        if socket.write_all(request.as_bytes()).is_ok() {
            let mut answer = Vec::new();
            let _ = socket.read_to_end(&mut answer);
        }
    }
}
