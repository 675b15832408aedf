//! A caseworker's reply reaches the citizen through a real SMTP server (Python's
//! aiosmtpd, started here, speaking STARTTLS with a test certificate), and the stored
//! address is gone afterwards. Caseworkers are told of new submissions the same way,
//! without their content.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::support::{Backend, Server, TempDir, free_port};

/// aiosmtpd, killed when the test ends.
pub struct Smtp(Child);

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Debian's Python with aiosmtpd (apt-get install python3-aiosmtpd; .ci/run does this).
fn python_with_aiosmtpd() -> &'static str {
    for python in ["/usr/bin/python3", "python3"] {
        let ok = Command::new(python)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return python;
        }
    }
    panic!("the reply test needs aiosmtpd: apt-get install python3-aiosmtpd (.ci/run does this)");
}

/// A server with `[mail]` towards aiosmtpd on a free port, and aiosmtpd itself,
/// STARTTLS with the server's test certificate; what it receives goes to the returned
/// file.
pub fn server_and_smtp(work: &TempDir) -> (Server, Smtp, std::path::PathBuf) {
    let port = free_port();
    let mail = format!(
        "[mail]\nhost = \"localhost\"\nport = {port}\nsecurity = \"starttls\"\n\
         from = \"Kommunen <postmottak@kommune.example>\"\nca_file = \"cert.pem\"\n"
    );
    let server = Server::start_with_config(Backend::Sqlite, &mail);
    let received = work.path().join("smtp.out");
    let child = Command::new(python_with_aiosmtpd())
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .arg("--tlscert")
        .arg(server.dir.path().join("cert.pem"))
        .arg("--tlskey")
        .arg(server.dir.path().join("key.pem"))
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
    (server, smtp, received)
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
    let (server, _smtp, received) = server_and_smtp(&work);
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
        server.caseworker(&token_file, &["reply", &reference, "--file", answer])
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
    let mail = wait_for_mail(&received, "saksbehandler@kommune.example");
    assert!(mail.contains("Ny innsending"), "{mail}");
    assert!(
        !mail.contains(&marker),
        "the content went by e-mail: {mail}"
    );
    assert!(!server.log().contains("saksbehandler@kommune.example"));
}
