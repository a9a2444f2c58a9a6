//! A fake SMTP server on 127.0.0.1 (EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)
//! that keeps every message it accepts, and answers `451` to the first messages'
//! DATA when told to.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One accepted message.
#[derive(Debug, Clone, Default)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_to: Vec<String>,
    pub data: String,
}

#[derive(Clone)]
struct Shared {
    fail_first: u32,
    seen: Arc<Mutex<u32>>,
    inbox: Arc<Mutex<Vec<Received>>>,
}

/// A running fake.
pub struct FakeSmtp {
    pub port: u16,
    shared: Shared,
}

impl FakeSmtp {
    pub async fn spawn(fail_first: u32) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let shared = Shared {
            fail_first,
            seen: Arc::default(),
            inbox: Arc::default(),
        };
        let s = shared.clone();
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                tokio::spawn(session(socket, s.clone()));
            }
        });
        Self { port, shared }
    }

    /// Messages accepted so far.
    pub fn inbox(&self) -> Vec<Received> {
        self.shared.inbox.lock().unwrap().clone()
    }

    /// DATA commands received, refused ones included.
    pub fn attempts(&self) -> u32 {
        *self.shared.seen.lock().unwrap()
    }
}

async fn session(socket: TcpStream, s: Shared) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    let mut current = Received::default();
    if write.write_all(b"220 fake.test ESMTP\r\n").await.is_err() {
        return;
    }
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_string();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let reply: String = match verb.as_str() {
            "EHLO" | "HELO" => "250-fake.test\r\n250 8BITMIME\r\n".into(),
            "MAIL" => {
                current.mail_from = command.get(10..).unwrap_or_default().to_string();
                "250 2.1.0 OK\r\n".into()
            }
            "RCPT" => {
                current
                    .rcpt_to
                    .push(command.get(8..).unwrap_or_default().to_string());
                "250 2.1.5 OK\r\n".into()
            }
            "DATA" => {
                let refuse = {
                    let mut seen = s.seen.lock().unwrap();
                    *seen += 1;
                    *seen <= s.fail_first
                };
                if refuse {
                    current = Received::default();
                    "451 4.3.0 try again later\r\n".into()
                } else {
                    if write.write_all(b"354 go ahead\r\n").await.is_err() {
                        return;
                    }
                    loop {
                        line.clear();
                        match lines.read_line(&mut line).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        if line == ".\r\n" {
                            break;
                        }
                        current.data.push_str(&line);
                    }
                    s.inbox.lock().unwrap().push(std::mem::take(&mut current));
                    "250 2.0.0 queued\r\n".into()
                }
            }
            "RSET" => {
                current = Received::default();
                "250 OK\r\n".into()
            }
            "NOOP" => "250 OK\r\n".into(),
            "QUIT" => {
                let _ = write.write_all(b"221 bye\r\n").await;
                return;
            }
            _ => "502 5.5.2 unknown command\r\n".into(),
        };
        if write.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}
