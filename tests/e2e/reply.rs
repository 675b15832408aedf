//! A caseworker's reply reaches the citizen through a real SMTP server (Python's
//! aiosmtpd, started here, speaking STARTTLS with a test certificate), and the stored
//! address is gone afterwards. Caseworkers are told of new submissions the same way,
//! without their content, and a citizen logged in gets a receipt, without the answers.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Backend, Server, TempDir, free_port, python_with};

/// aiosmtpd, killed when the test ends.
pub struct Smtp(Child);

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A server with `[mail]` towards aiosmtpd on a free port, and aiosmtpd itself,
/// STARTTLS with the server's test certificate; what it receives goes to the returned
/// file.
pub fn server_and_smtp(work: &TempDir) -> (Server, Smtp, std::path::PathBuf) {
    let port = free_port();
    let server = Server::start_with_config(Backend::Sqlite, &mail_config(port));
    let (smtp, received) = start_smtp(&server, port, work);
    (server, smtp, received)
}

/// The `[mail]` section towards an SMTP server on `port` that has the server's test
/// certificate.
pub fn mail_config(port: u16) -> String {
    format!(
        "[mail]\nhost = \"localhost\"\nport = {port}\nsecurity = \"starttls\"\n\
         from = \"Kommunen <postmottak@kommune.example>\"\nca_file = \"cert.pem\"\n"
    )
}

/// aiosmtpd on `port`, STARTTLS with `server`'s certificate; what it receives goes to
/// the returned file.
pub fn start_smtp(server: &Server, port: u16, work: &TempDir) -> (Smtp, std::path::PathBuf) {
    start_smtp_with(server, port, work, &[])
}

/// An aiosmtpd handler that takes mail as the default one does, but refuses for good
/// (550, as for a mailbox that does not exist) each recipient listed in a file, read
/// again for every recipient, and shows each message's envelope sender as its
/// `Return-Path`.
const REFUSING_HANDLER: &str = r#"
from aiosmtpd.handlers import Debugging

class Refusing(Debugging):
    def __init__(self, listed):
        super().__init__()
        self.listed = listed

    @classmethod
    def from_cli(cls, parser, *args):
        return cls(args[0])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        try:
            with open(self.listed) as f:
                refused = f.read().split()
        except FileNotFoundError:
            refused = []
        if address in refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        # As a mailbox does on delivery: the envelope's sender first, as Return-Path.
        sender = "Return-Path: <%s>\r\n" % envelope.mail_from
        if isinstance(envelope.content, bytes):
            envelope.content = sender.encode() + envelope.content
        else:
            envelope.content = sender + envelope.content
        return await super().handle_DATA(server, session, envelope)
"#;

/// As [`start_smtp`], refusing for good each recipient listed in the file `refused`.
pub fn start_smtp_refusing(
    server: &Server,
    port: u16,
    work: &TempDir,
    refused: &std::path::Path,
) -> (Smtp, std::path::PathBuf) {
    std::fs::write(work.path().join("refusing.py"), REFUSING_HANDLER).unwrap();
    let handler = ["-c", "refusing.Refusing", refused.to_str().unwrap()];
    start_smtp_with(server, port, work, &handler)
}

/// aiosmtpd with the handler options `handler` (none: the default handler).
fn start_smtp_with(
    server: &Server,
    port: u16,
    work: &TempDir,
    handler: &[&str],
) -> (Smtp, std::path::PathBuf) {
    let received = work.path().join("smtp.out");
    let child = Command::new(python_with("aiosmtpd", "python3-aiosmtpd"))
        .env("PYTHONPATH", work.path())
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .arg("--tlscert")
        .arg(server.dir.path().join("cert.pem"))
        .arg("--tlskey")
        .arg(server.dir.path().join("key.pem"))
        .args(handler)
        .stdout(std::fs::File::create(&received).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let smtp = Smtp(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "aiosmtpd did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    (smtp, received)
}

/// Each message aiosmtpd has received, as its headers and its body decoded from
/// quoted-printable or base64, so that a look for a canary cannot miss it.
pub fn mails(received: &std::path::Path) -> Vec<(String, String)> {
    use base64::Engine;
    let text = std::fs::read_to_string(received).unwrap_or_default();
    text.split("---------- MESSAGE FOLLOWS ----------")
        .skip(1)
        .map(|message| {
            let message = message
                .split("------------ END MESSAGE ------------")
                .next()
                .unwrap()
                .trim_start();
            let (head, body) = message.split_once("\n\n").unwrap_or((message, ""));
            let encoding = head
                .lines()
                .find_map(|l| l.strip_prefix("Content-Transfer-Encoding: "))
                .unwrap_or("7bit")
                .trim()
                .to_ascii_lowercase();
            let body = match encoding.as_str() {
                "quoted-printable" => quoted_printable(body),
                "base64" => {
                    let packed: String = body.split_whitespace().collect();
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(packed)
                        .unwrap();
                    String::from_utf8(bytes).unwrap()
                }
                _ => body.to_string(),
            };
            (head.to_string(), body)
        })
        .collect()
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let mut out = Vec::new();
    let bytes = joined.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = (bytes[i] == b'=')
            .then(|| joined.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap()
}

/// The one message to `to` once it has come, decoded; none may come twice.
pub fn mail_to(received: &std::path::Path, to: &str) -> (String, String) {
    wait_for_mail(received, &format!("To: {to}"));
    let mut found: Vec<(String, String)> = mails(received)
        .into_iter()
        .filter(|(head, _)| head.lines().any(|l| l == format!("To: {to}")))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    found.remove(0)
}

/// What aiosmtpd has received once it holds `needle`.
pub fn wait_for_mail(received: &std::path::Path, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let text = std::fs::read_to_string(received).unwrap_or_default();
        if text.contains(needle) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "no mail with {needle:?} arrived: {text}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_reaches_the_citizen_by_smtp_and_the_address_is_deleted() {
    let work = TempDir::new("reply");
    let (server, smtp, received) = server_and_smtp(&work);
    let client = server.client();
    let (status, body) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": "Naar blir Lindeveien broeytet?", "email": "innbygger@example.no"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let reference = body["reference"].as_str().unwrap().to_string();
    let (token_file, _) = server.add_caseworker("servicetorget");
    let answer = work.path().join("answer.txt");
    std::fs::write(
        &answer,
        "Lindeveien blir broeytet i morgen tidlig. Hilsen Kari i kommunen.\n",
    )
    .unwrap();
    let reply = || {
        let answer = answer.to_str().unwrap();
        server.caseworker(
            &token_file,
            &["reply", "--id", &reference, "--file", answer],
        )
    };
    let out = reply();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // The SMTP server got it, for the citizen, with the text and the reference.
    let text = wait_for_mail(&received, "broeytet i morgen");
    assert!(text.contains("To: innbygger@example.no"), "{text}");
    assert!(text.contains("postmottak@kommune.example"), "{text}");
    assert!(text.contains(&reference), "{text}");

    // The address is gone: a second reply has nowhere to go.
    let again = reply();
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("no e-mail address"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let log = server.log();
    assert!(log.contains("reply sent"));
    assert!(
        !log.contains("innbygger@example.no"),
        "the address in the log"
    );
    assert!(
        !log.contains("broeytet i morgen"),
        "the reply's text in the log"
    );

    // With the mail server gone, a reply fails, says so, and the monitoring sees it.
    let (status, body) = server
        .submit_json(
            &client,
            "kontakt",
            json!({"answers": {"message": "Og Bjørkeveien?", "email": "innbygger@example.no"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    drop(smtp);
    let answer = answer.to_str().unwrap();
    let second = body["reference"].as_str().unwrap();
    let out = server.caseworker(&token_file, &["reply", second, "--file", answer]);
    assert!(!out.status.success());
    let metrics = server.metrics().await;
    let reply = |outcome| {
        metrics.get(
            "forms_mail_messages_total",
            &[("kind", "reply"), ("outcome", outcome)],
        )
    };
    assert_eq!((reply("sent"), reply("failed")), (1.0, 1.0));
    server.assert_audit_intact();
}

/// Caseworkers are told of a new submission in their queue by e-mail, with nothing of
/// its content.
#[tokio::test(flavor = "multi_thread")]
async fn caseworkers_are_told_of_new_submissions_without_content() {
    let work = TempDir::new("notify");
    let (server, _smtp, received) = server_and_smtp(&work);
    // The byggesak queue's caseworker gives an address for notices.
    let path = server.schemas().join("queues.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let start = text.find("  - id: byggesak\n").unwrap();
    let with_email = text[start..].replacen(
        "      - name: Test\n",
        "      - name: Test\n        email: saksbehandler@kommune.example\n",
        1,
    );
    std::fs::write(&path, format!("{}{with_email}", &text[..start])).unwrap();
    server.wait_for_log("form schemas reloaded", Duration::from_secs(30));

    let marker = crate::support::canary("NOTICE");
    let client = server.client();
    let (status, body) = server
        .submit_json(
            &client,
            "byggesak-sporsmal",
            json!({"answers": {"message": format!("Tilbygg {marker}")}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (head, text) = mail_to(&received, "saksbehandler@kommune.example");
    assert!(head.contains("Ny innsending"), "{head}");
    assert!(text.contains("forms caseworker pull"), "{text}");
    assert!(
        !text.contains(&marker),
        "the content went by e-mail: {text}"
    );
    assert!(!server.log().contains("saksbehandler@kommune.example"));
}

/// A citizen who sends a form after login with an e-mail address gets a receipt there,
/// in the language they used, with the form and the reference and none of the answers;
/// an open form mails nobody, so no one can have the municipality mail any address.
#[tokio::test(flavor = "multi_thread")]
async fn a_citizen_logged_in_gets_a_receipt_by_email_without_the_answers() {
    use crate::citizen_login::{KARI_EMAIL, SUBSTANTIAL, log_in, reference_on};
    use crate::erase::receipt;

    let work = TempDir::new("receipt");
    let port = free_port();
    let mut server = Server::prepare_with_login(Backend::Sqlite).await;
    server.append_config(&mail_config(port));
    tokio::task::block_in_place(|| server.launch());
    let (_smtp, received) = start_smtp(&server, port, &work);

    // Someone puts a stranger's address in the open contact form: no mail.
    let (status, body) = server
        .submit_json(
            &server.client(),
            "kontakt",
            json!({"answers": {"message": "Hei", "email": "fremmed@example.no"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    let kari = server.browser();
    log_in(&server, &kari, "sikker-melding", SUBSTANTIAL).await;
    let secret = crate::support::canary("RECEIPT");
    let page = receipt(
        &server,
        &kari,
        "/skjema/sikker-melding",
        &[("melding", &format!("Om helsa mi {secret}"))],
    )
    .await;
    let reference = reference_on(&page);
    assert!(
        page.body.contains("Vi sender også en kvittering"),
        "{}",
        page.body
    );
    let (head, text) = mail_to(&received, KARI_EMAIL);
    assert!(
        head.contains("Subject: Kvittering: Send en sikker melding til kommunen"),
        "{head}"
    );
    assert!(
        text.contains(&format!("Referansenummer: {reference}")),
        "{text}"
    );
    assert!(text.contains("Mine innsendinger"), "{text}");
    assert!(!text.contains(&secret), "an answer went by e-mail: {text}");

    // In English, to the address she typed instead of KRR's.
    let page = receipt(
        &server,
        &kari,
        "/skjema/sikker-melding?lang=en",
        &[("melding", "In English"), ("epost", "kari@work.example")],
    )
    .await;
    let english = reference_on(&page);
    assert!(
        page.body.contains("We are also sending a receipt"),
        "{}",
        page.body
    );
    let (head, text) = mail_to(&received, "kari@work.example");
    assert!(
        head.contains("Subject: Receipt: Send a secure message to the municipality"),
        "{head}"
    );
    assert!(
        text.contains(&format!("Reference number: {english}")),
        "{text}"
    );
    // Mailed in the background: counted once the mail server has answered.
    let receipts = [("kind", "receipt"), ("outcome", "sent")];
    let metrics = server
        .metrics_when("forms_mail_messages_total", &receipts, |n| n == 2.0)
        .await;
    assert_eq!(metrics.get("forms_logins_total", &[("outcome", "ok")]), 1.0);
    assert_eq!(
        metrics.get("forms_krr_lookups_total", &[("outcome", "found")]),
        1.0
    );
    let sent = [("form", "sikker-melding"), ("outcome", "stored")];
    assert_eq!(metrics.get("forms_submissions_total", &sent), 2.0);

    // The privacy page says so where it happens, and only there.
    let privacy = |form: &'static str| {
        let kari = &kari;
        let url = format!("{}/skjema/{form}/personvern", server.url);
        async move { kari.get(&url).await.body }
    };
    assert!(
        privacy("sikker-melding")
            .await
            .contains("sender vi deg en kvittering")
    );
    assert!(!privacy("kontakt").await.contains("kvittering"));

    assert!(
        !mails(&received)
            .iter()
            .any(|(head, _)| head.contains("fremmed@example.no")),
        "the open form mailed the address it was given"
    );
    let log = server.log();
    assert!(!log.contains(KARI_EMAIL) && !log.contains("kari@work.example"));
    assert!(!log.contains(&secret));
}
