//! Headless Chromium driven over chromedriver's HTTP API (WebDriver), for
//! the tests that need a real browser. `.ci/run` installs Debian's
//! `chromium` and `chromium-driver`.

use std::time::{Duration, Instant};

/// A WebDriver session of headless Chromium, driven over chromedriver's
/// HTTP API; ended when dropped.
pub struct Browser {
    driver: std::process::Child,
    endpoint: String,
    pub session: String,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Browser {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = std::process::Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromedriver (Debian: apt-get install chromium chromium-driver)");
        let endpoint = format!("http://127.0.0.1:{port}");
        let ready = Instant::now();
        while reqwest::get(format!("{endpoint}/status")).await.is_err() {
            assert!(ready.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .expect("chromium (Debian: apt-get install chromium chromium-driver)");
        let capabilities = serde_json::json!({
            "capabilities": { "alwaysMatch": { "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-quic", "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
            }}}
        });
        let mut browser = Browser {
            driver,
            endpoint,
            session: String::new(),
            _profile: profile,
        };
        let created = browser.call("POST", "/session", capabilities).await;
        browser.session = created["sessionId"].as_str().unwrap().to_owned();
        browser
    }

    pub async fn call(&self, method: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let url = format!("{}{path}", self.endpoint);
        let request = match method {
            "POST" => reqwest::Client::new().post(url).body(body.to_string()),
            _ => reqwest::Client::new().delete(url),
        };
        let response = request.header("content-type", "application/json").send().await.unwrap();
        let value: serde_json::Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert!(value["value"].get("error").is_none(), "WebDriver {path}: {value}");
        value["value"].clone()
    }

    pub async fn open(&self, url: &str) {
        self.call(
            "POST",
            &format!("/session/{}/url", self.session),
            serde_json::json!({ "url": url }),
        )
        .await;
    }

    pub async fn run(&self, script: &str) -> serde_json::Value {
        let path = format!("/session/{}/execute/sync", self.session);
        self.call("POST", &path, serde_json::json!({ "script": script, "args": [] }))
            .await
    }

    /// Runs `script` until it returns `expected`, for at most `within`;
    /// fails with `what` and the last value otherwise. How long it took.
    pub async fn wait_for(
        &self,
        script: &str,
        expected: impl Into<serde_json::Value>,
        within: Duration,
        what: &str,
    ) -> Duration {
        let expected = expected.into();
        let started = Instant::now();
        loop {
            let now = self.run(script).await;
            if now == expected {
                return started.elapsed();
            }
            assert!(started.elapsed() < within, "{what}: {now}, not {expected}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Browser {
    /// Ends the session (the driver process ends when dropped).
    pub async fn quit(self) {
        let path = format!("/session/{}", self.session);
        self.call("DELETE", &path, serde_json::Value::Null).await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
