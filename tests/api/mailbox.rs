//! A real SMTP server for tests: one MailDev per test on free ports, read over its JSON API;
//! and a gate in front of it that a test can shut, to take the server away mid-conversation.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
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
    /// The envelope sender (MAIL FROM), as the server recorded it.
    pub from: String,
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
                from: m["envelope"]["from"]["address"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
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

/// A loopback TCP relay in front of an SMTP server. Shutting it is, as far as the client can
/// tell, the server stopping: the port refuses connections and every open connection is cut
/// wherever it was (mid-command, mid-DATA, or after the final dot but before the reply).
/// The server behind it keeps running, so what it accepted stays readable.
///
/// It runs on its own threads, so a test may block (waiting for a child process) while
/// mail flows through it.
pub struct SmtpGate {
    port: u16,
    upstream: u16,
    state: Arc<GateState>,
    acceptor: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct GateState {
    /// Whether the gate is shut, and both ends of every relayed connection (to cut them).
    open: Mutex<(bool, Vec<TcpStream>)>,
    /// Messages relayed in full: end-of-data markers (`CRLF.CRLF`) passed to the server.
    messages: AtomicUsize,
    /// Shut by itself once this many messages went through (0: never).
    shut_after: AtomicUsize,
}

impl GateState {
    fn is_shut(&self) -> bool {
        self.open.lock().unwrap().0
    }

    /// Shuts the gate: cuts every connection (the acceptor drops the listener on its own).
    fn shut(&self) {
        let mut open = self.open.lock().unwrap();
        open.0 = true;
        for s in open.1.drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    /// Counts `n` more messages relayed, and shuts when the limit is reached.
    fn relayed(&self, n: usize) {
        let total = self.messages.fetch_add(n, Ordering::SeqCst) + n;
        let limit = self.shut_after.load(Ordering::SeqCst);
        if limit > 0 && total >= limit {
            self.shut();
        }
    }
}

impl SmtpGate {
    /// Opens a gate on a free port, relaying to `127.0.0.1:upstream`.
    pub fn open(upstream: u16) -> SmtpGate {
        let mut g = SmtpGate {
            port: crate::tools::free_port(),
            upstream,
            state: Arc::default(),
            acceptor: None,
        };
        g.reopen();
        g
    }

    /// `smtp://127.0.0.1:PORT` of the gate.
    pub fn smtp_url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Makes the gate shut by itself right after the `n`-th message (counted from when
    /// it was opened) has been passed to the server in full — before the server's reply
    /// to it can come back.
    pub fn shut_after(&self, n: usize) {
        self.state.shut_after.store(n, Ordering::SeqCst);
    }

    /// Messages relayed in full since the gate was last opened.
    pub fn messages(&self) -> usize {
        self.state.messages.load(Ordering::SeqCst)
    }

    /// Waits (at most `within`) until the gate is shut and its port refuses connections;
    /// returns whether it is.
    pub fn wait_shut(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while !self.state.is_shut() {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if let Some(a) = self.acceptor.take() {
            a.join().expect("the gate's acceptor");
        }
        true
    }

    /// Shuts the gate now.
    pub fn shut(&mut self) {
        self.state.shut();
        self.wait_shut(Duration::from_secs(5));
    }

    /// Opens the gate again on the same port, counting from zero, with no limit.
    pub fn reopen(&mut self) {
        self.shut();
        let state = Arc::new(GateState::default());
        let deadline = Instant::now() + Duration::from_secs(5);
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)) {
                Ok(l) => break l,
                Err(e) if Instant::now() < deadline => {
                    eprintln!("SMTP gate: port {} not free yet: {e}", self.port);
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("SMTP gate: cannot listen on {} again: {e}", self.port),
            }
        };
        listener.set_nonblocking(true).unwrap();
        let upstream = self.upstream;
        let st = state.clone();
        self.acceptor = Some(std::thread::spawn(move || {
            // Polls, so that a shut gate drops its listener (refusing connections) within
            // a few milliseconds.
            while !st.is_shut() {
                let client = match listener.accept() {
                    Ok((c, _)) => c,
                    Err(_) => {
                        // Nobody waiting (WouldBlock), or a failed accept: look again soon.
                        std::thread::sleep(Duration::from_millis(2));
                        continue;
                    }
                };
                client.set_nonblocking(false).unwrap();
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    continue;
                };
                {
                    let mut open = st.open.lock().unwrap();
                    if open.0 {
                        break; // shut meanwhile: this connection is dropped too
                    }
                    open.1.push(client.try_clone().unwrap());
                    open.1.push(server.try_clone().unwrap());
                }
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                let counting = st.clone();
                std::thread::spawn(move || relay(client, server, Some(&counting)));
                std::thread::spawn(move || relay(s2, c2, None));
            }
        }));
        self.state = state;
    }
}

/// Copies `from` to `to` until either side closes; counts whole messages when told to.
fn relay(mut from: TcpStream, mut to: TcpStream, count: Option<&GateState>) {
    const END: &[u8] = b"\r\n.\r\n";
    let mut buf = vec![0u8; 16 * 1024];
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
        if let Some(state) = count {
            // The marker may straddle reads: look at the last 4 bytes of the previous one too.
            tail.extend_from_slice(&buf[..n]);
            let ends = tail.windows(END.len()).filter(|w| *w == END).count();
            tail.drain(..tail.len().saturating_sub(END.len() - 1));
            if ends > 0 {
                state.relayed(ends);
            }
        }
    }
    let _ = to.shutdown(Shutdown::Write);
}

impl Drop for SmtpGate {
    fn drop(&mut self) {
        self.shut();
    }
}
