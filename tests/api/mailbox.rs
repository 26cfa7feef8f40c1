//! A real SMTP server for tests: one MailDev per test on free ports, read over its JSON API.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::tools;

/// A running MailDev; stopped when dropped.
pub struct MailDev {
    child: Option<Child>,
    pub smtp_port: u16,
    pub web_port: u16,
    dir: tempfile::TempDir,
    http: reqwest::Client,
}

/// One received email.
#[derive(Debug, Clone)]
pub struct Mail {
    pub id: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub message_id: String,
}

impl MailDev {
    /// Starts MailDev, or returns `None` (after printing why) when it is not installed.
    pub async fn start() -> Option<MailDev> {
        tools::maildev()?;
        let mut m = MailDev {
            child: None,
            smtp_port: tools::free_port(),
            web_port: tools::free_port(),
            dir: tempfile::tempdir().unwrap(),
            http: reqwest::Client::builder()
                .pool_idle_timeout(std::time::Duration::from_secs(1))
                .build()
                .unwrap(),
        };
        m.resume().await;
        Some(m)
    }

    /// `smtp://127.0.0.1:PORT`.
    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.smtp_port)
    }

    /// Stops the server (its port refuses connections until [`MailDev::resume`]).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same ports.
    pub async fn resume(&mut self) {
        let bin = tools::maildev().expect("maildev is installed");
        let child = Command::new(bin)
            .args(["--ip", "127.0.0.1", "--web-ip", "127.0.0.1", "-s"])
            .arg(self.smtp_port.to_string())
            .arg("-w")
            .arg(self.web_port.to_string())
            .arg("--mail-directory")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("maildev starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let ok = self
                .http
                .get(format!("http://127.0.0.1:{}/api/healthz", self.web_port))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            let smtp = std::net::TcpStream::connect(("127.0.0.1", self.smtp_port)).is_ok();
            if ok && smtp {
                return;
            }
            assert!(Instant::now() < deadline, "maildev did not start");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every email received so far.
    pub async fn emails(&self) -> Vec<Mail> {
        let list: Vec<Value> = self
            .http
            .get(format!("http://127.0.0.1:{}/api/email", self.web_port))
            .send()
            .await
            .expect("maildev answers")
            .json()
            .await
            .expect("maildev JSON");
        list.into_iter()
            .map(|m| Mail {
                id: m["id"].as_str().unwrap_or("").to_string(),
                to: m["envelope"]["to"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|t| t["address"].as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                subject: m["subject"].as_str().unwrap_or("").to_string(),
                text: m["text"].as_str().unwrap_or("").to_string(),
                html: m["html"].as_str().unwrap_or("").to_string(),
                message_id: m["headers"]["message-id"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            })
            .collect()
    }

    /// How many emails arrived.
    pub async fn count(&self) -> usize {
        self.emails().await.len()
    }

    /// The raw message, headers and all.
    pub async fn source(&self, id: &str) -> String {
        self.http
            .get(format!(
                "http://127.0.0.1:{}/api/email/{id}/source",
                self.web_port
            ))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Waits until `pred` holds for the emails received (at most 20 s).
    pub async fn wait_for(&self, what: &str, pred: impl Fn(&[Mail]) -> bool) -> Vec<Mail> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let all = self.emails().await;
            if pred(&all) {
                return all;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; got {:?}",
                all.iter().map(|m| (&m.to, &m.subject)).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for MailDev {
    fn drop(&mut self) {
        self.stop();
    }
}
