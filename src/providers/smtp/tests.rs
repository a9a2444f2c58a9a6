use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::*;

/// One message as the fake server received it.
#[derive(Debug, Clone, Default)]
struct Received {
    mail_from: String,
    rcpt_to: Vec<String>,
    data: String,
}

type Inbox = Arc<Mutex<Vec<Received>>>;

/// A minimal SMTP server on 127.0.0.1: EHLO, MAIL, RCPT, DATA, RSET, NOOP,
/// QUIT. When `reject` is `(verb, reply)`, that verb gets `reply` instead of
/// 250. Returns its port and the messages it accepted.
async fn fake_smtp(reject: Option<(&'static str, &'static str)>) -> (u16, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let inbox: Inbox = Arc::default();
    let accepted = inbox.clone();
    tokio::spawn(async move {
        loop {
            let (socket, _) = listener.accept().await.unwrap();
            tokio::spawn(session(socket, reject, accepted.clone()));
        }
    });
    (port, inbox)
}

async fn session(
    socket: tokio::net::TcpStream,
    reject: Option<(&'static str, &'static str)>,
    inbox: Inbox,
) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    let mut current = Received::default();
    write.write_all(b"220 fake.test ESMTP\r\n").await.unwrap();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap() == 0 {
            return;
        }
        let command = line.trim_end().to_string();
        let verb = command
            .split([' ', ':'])
            .next()
            .unwrap()
            .to_ascii_uppercase();
        let reply = match (verb.as_str(), reject) {
            (v, Some((rejected, reply))) if v == rejected => format!("{reply}\r\n"),
            ("EHLO" | "HELO", _) => "250-fake.test\r\n250 8BITMIME\r\n".into(),
            ("MAIL", _) => {
                current.mail_from = command[10..].to_string();
                "250 2.1.0 OK\r\n".into()
            }
            ("RCPT", _) => {
                current.rcpt_to.push(command[8..].to_string());
                "250 2.1.5 OK\r\n".into()
            }
            ("DATA", _) => {
                write.write_all(b"354 go ahead\r\n").await.unwrap();
                loop {
                    line.clear();
                    lines.read_line(&mut line).await.unwrap();
                    if line == ".\r\n" {
                        break;
                    }
                    current.data.push_str(&line);
                }
                inbox.lock().unwrap().push(std::mem::take(&mut current));
                "250 2.0.0 queued\r\n".into()
            }
            ("RSET" | "NOOP", _) => "250 OK\r\n".into(),
            ("QUIT", _) => {
                write.write_all(b"221 bye\r\n").await.unwrap();
                return;
            }
            _ => "502 5.5.2 unknown command\r\n".into(),
        };
        write.write_all(reply.as_bytes()).await.unwrap();
    }
}

fn email() -> OutgoingEmail {
    OutgoingEmail {
        from: "Happy Paws <noreply@happypaws.example>".into(),
        to: "jane@example.com".into(),
        subject: "Discharge summary for Max from Happy Paws".into(),
        html: "<p>Max is doing well.</p>".into(),
        text: "Max is doing well.".into(),
        message_id_hint: "run-42/prepareEmail".into(),
    }
}

fn sender(port: u16) -> SmtpSender {
    SmtpSender::new(SmtpSettings {
        host: "127.0.0.1".into(),
        port,
        username: None,
        password: None,
        tls: TlsMode::None,
        timeout: Duration::from_secs(5),
    })
    .unwrap()
}

#[tokio::test]
async fn a_sent_email_arrives_once_with_its_recipient_subject_and_message_id() {
    let (port, inbox) = fake_smtp(None).await;
    let id = sender(port).send(&email()).await.unwrap();
    let inbox = inbox.lock().unwrap();
    assert_eq!(inbox.len(), 1);
    let got = &inbox[0];
    assert_eq!(got.mail_from, "<noreply@happypaws.example>");
    assert_eq!(got.rcpt_to, ["<jane@example.com>"]);
    assert!(
        got.data
            .contains("Subject: Discharge summary for Max from Happy Paws\r\n")
    );
    assert!(got.data.contains(&format!("Message-ID: {id}\r\n")));
    assert!(got.data.contains("multipart/alternative"));
    assert!(id.ends_with("@happypaws.example>"));
}

#[tokio::test]
async fn a_4xx_reply_is_a_retryable_rejection_without_the_address() {
    let reply = "450 4.2.1 <jane@example.com>: mailbox busy, try later";
    let (port, inbox) = fake_smtp(Some(("RCPT", reply))).await;
    let err = sender(port).send(&email()).await.unwrap_err();
    assert!(
        matches!(err, EmailError::Rejected { code: 450, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert!(err.to_string().contains("mailbox busy"));
    assert!(!err.to_string().contains("jane@example.com"));
    assert!(inbox.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_5xx_reply_is_a_permanent_rejection() {
    let (port, _) = fake_smtp(Some(("MAIL", "550 5.7.1 sender not allowed"))).await;
    let err = sender(port).send(&email()).await.unwrap_err();
    assert!(
        matches!(err, EmailError::Rejected { code: 550, .. }),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_unreachable_server_is_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let err = sender(port).send(&email()).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
}

#[test]
fn the_message_id_is_stable_per_idempotency_key() {
    let a = message_id(&email()).unwrap();
    assert_eq!(a, message_id(&email()).unwrap());
    let mut other = email();
    other.message_id_hint = "run-43/prepareEmail".into();
    assert_ne!(a, message_id(&other).unwrap());
}

#[test]
fn a_bad_recipient_is_refused_without_repeating_it() {
    let mut bad = email();
    bad.to = "jane at example".into();
    let err = build_message(&bad).unwrap_err();
    assert_eq!(err.to_string(), "the to address is not a valid mailbox");
    assert!(!err.is_retryable());
}

#[test]
fn credentials_need_both_username_and_password_and_stay_out_of_debug() {
    let settings = SmtpSettings {
        host: "smtp.example.com".into(),
        port: 587,
        username: Some("clinic".into()),
        password: None,
        tls: TlsMode::Starttls,
        timeout: Duration::from_secs(10),
    };
    assert!(matches!(
        SmtpSender::new(settings.clone()),
        Err(EmailError::Config(_))
    ));
    let settings = SmtpSettings {
        password: Some(Secret::new("hunter2")),
        ..settings
    };
    assert!(!format!("{settings:?}").contains("hunter2"));
    assert!(SmtpSender::new(settings).is_ok());
}

#[tokio::test]
async fn the_spool_writes_one_parseable_file_per_idempotency_key() {
    let dir = std::env::temp_dir().join(format!("spool-test-{}", uuid::Uuid::new_v4()));
    let spool = SpoolWriter::new(&dir);
    let first = spool.write(&email()).await.unwrap();
    let second = spool.write(&email()).await.unwrap();
    assert_eq!(first, second);
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 1, "no temp file left behind either");
    let bytes = std::fs::read(&first).unwrap();
    let parsed = mailparse::parse_mail(&bytes).unwrap();
    let header = |name: &str| {
        use mailparse::MailHeaderMap;
        parsed.headers.get_first_value(name).unwrap()
    };
    assert_eq!(
        header("Subject"),
        "Discharge summary for Max from Happy Paws"
    );
    assert_eq!(header("To"), "jane@example.com");
    assert_eq!(header("Message-ID"), message_id(&email()).unwrap());
    assert_eq!(parsed.ctype.mimetype, "multipart/alternative");
    let parts: Vec<(String, String)> = parsed
        .subparts
        .iter()
        .map(|p| {
            (
                p.ctype.mimetype.clone(),
                p.get_body().unwrap().trim_end().to_string(),
            )
        })
        .collect();
    assert_eq!(
        parts,
        [
            ("text/plain".to_string(), "Max is doing well.".to_string()),
            (
                "text/html".to_string(),
                "<p>Max is doing well.</p>".to_string()
            ),
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn spooled_files_are_private_to_the_service_user_in_a_private_directory() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let root = tempfile::tempdir().unwrap();
    // A directory left world-readable by an earlier version is tightened.
    let existing = root.path().join("outbox");
    std::fs::create_dir(&existing).unwrap();
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = SpoolWriter::new(&existing).write(&email()).await.unwrap();
    assert_eq!(mode(&existing), 0o700);
    assert_eq!(mode(&file), 0o600);
    // A new one is created private, with its parents.
    let fresh = root.path().join("a/b/care");
    let file = SpoolWriter::new(&fresh).write(&email()).await.unwrap();
    assert_eq!(mode(&fresh), 0o700);
    assert_eq!(mode(&root.path().join("a")), 0o700);
    assert_eq!(mode(&file), 0o600);
}
