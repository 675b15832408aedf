//! Outgoing e-mail: the caseworkers' replies to citizens, receipts, notices and
//! newsletters, over SMTP with STARTTLS or TLS (never in the clear), through lettre.
//! Under `forms dev` mail goes into a folder instead, one `.eml` file a message.
//!
//! A message is logged by its outcome only, never by address or text, and counted in
//! the metrics by its [`Kind`] and outcome.

use std::path::PathBuf;
use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailConfig, MailSecurity};

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `forms dev`: each message a file in this folder (mode 0600).
    Folder(PathBuf),
}

/// What a message is, for the metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A citizen's receipt after a submission.
    Receipt,
    /// A caseworker's answer to a citizen.
    Reply,
    /// Telling a queue's caseworkers that something has come.
    Notice,
    /// The confirmation of a newsletter sign-up.
    Confirmation,
    Newsletter,
    /// A newsletter mailed to its writer first.
    NewsletterTest,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Receipt => "receipt",
            Kind::Reply => "reply",
            Kind::Notice => "notice",
            Kind::Confirmation => "confirmation",
            Kind::Newsletter => "newsletter",
            Kind::NewsletterTest => "newsletter_test",
        }
    }
}

/// Why a message did not go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailError {
    /// The mail server refused it for good (a permanent, 5xx answer), such as for a
    /// mailbox that does not exist.
    Refused(String),
    /// Anything else: the server not reached or refusing for now, the message not made.
    Failed(String),
}

impl std::fmt::Display for MailError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MailError::Refused(why) | MailError::Failed(why) => f.write_str(why),
        }
    }
}

/// Sends mail through the configured SMTP server.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    /// Where bounce mails of mailing-list mail come back, tagged.
    bounce: Option<crate::bounce::BounceAddress>,
}

/// What a mail of a mailing list carries beside its text.
#[derive(Debug, Clone, Copy)]
pub struct ListMail<'a> {
    /// The address that ends the subscription, as `List-Unsubscribe` with one-click
    /// (RFC 8058), so that mail programs offer the subscriber a button of their own.
    pub unsubscribe: &'a str,
    /// The tag of the envelope sender, with `[mail] bounce_address`, so that a bounce
    /// mail says what it is about.
    pub bounce_tag: &'a str,
}

impl Mailer {
    pub fn new(config: &MailConfig) -> Result<Mailer, String> {
        let mut tls = TlsParameters::builder(config.host.clone());
        if let Some(path) = &config.ca_file {
            let pem =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let cert = Certificate::from_pem(&pem)
                .map_err(|e| format!("{}: not a PEM certificate: {e}", path.display()))?;
            tls = tls.add_root_certificate(cert);
        }
        let tls = tls
            .build_rustls()
            .map_err(|e| format!("the mail TLS settings: {e}"))?;
        let tls = match config.security {
            MailSecurity::Starttls => Tls::Required(tls),
            MailSecurity::Tls => Tls::Wrapper(tls),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host)
            .port(config.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(20)));
        if let (Some(user), Some(path)) = (&config.username, &config.password_file) {
            let password = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            builder =
                builder.credentials(Credentials::new(user.clone(), password.trim().to_string()));
        }
        let from = config
            .from
            .parse::<Mailbox>()
            .map_err(|e| format!("[mail] from = \"{}\": {e}", config.from))?;
        let bounce = config
            .bounce_address
            .as_deref()
            .map(crate::bounce::BounceAddress::parse)
            .transpose()?;
        Ok(Mailer {
            transport: Transport::Smtp(builder.build()),
            from,
            bounce,
        })
    }

    /// A mailer that writes each message into `dir` instead of sending it: for
    /// `forms dev`, where there is no mail server and a developer reads the files.
    pub fn folder(dir: PathBuf) -> Result<Mailer, String> {
        crate::files::create_private_dir(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let from = "Kommunen <postmottak@localhost>"
            .parse::<Mailbox>()
            .map_err(|e| e.to_string())?;
        Ok(Mailer {
            transport: Transport::Folder(dir),
            from,
            bounce: None,
        })
    }

    /// Sends a plain-text message.
    pub async fn send(
        &self,
        kind: Kind,
        to: &str,
        subject: &str,
        body: &str,
    ) -> Result<(), MailError> {
        self.send_with(kind, to, subject, body, None).await
    }

    /// Sends a plain-text message, of a mailing list with `list`.
    pub async fn send_with(
        &self,
        kind: Kind,
        to: &str,
        subject: &str,
        body: &str,
        list: Option<ListMail<'_>>,
    ) -> Result<(), MailError> {
        let result = self.transmit(to, subject, body, list).await;
        let outcome = match &result {
            Ok(()) => "sent",
            Err(MailError::Refused(_)) => "refused",
            Err(MailError::Failed(_)) => "failed",
        };
        crate::metrics::count(
            crate::metrics::MAIL,
            &[("kind", kind.as_str()), ("outcome", outcome)],
        );
        result
    }

    async fn transmit(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        list: Option<ListMail<'_>>,
    ) -> Result<(), MailError> {
        let failed = |why: String| MailError::Failed(why);
        let to = to
            .parse::<Mailbox>()
            .map_err(|_| failed("the stored address is not an e-mail address".into()))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to.clone())
            .subject(subject)
            .header(ContentType::TEXT_PLAIN);
        let bounce_to = list.and_then(|list| {
            let bounce = self.bounce.as_ref()?;
            bounce
                .with_tag(list.bounce_tag)
                .parse::<lettre::Address>()
                .ok()
        });
        if let Some(sender) = bounce_to {
            let envelope = lettre::address::Envelope::new(Some(sender), vec![to.email])
                .map_err(|e| failed(format!("cannot build the envelope: {e}")))?;
            builder = builder.envelope(envelope);
        }
        if let Some(url) = list.map(|list| list.unsubscribe) {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".into(),
                ));
        }
        let message = builder
            .body(body.to_string())
            .map_err(|e| failed(format!("cannot build the message: {e}")))?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(|_| ()).map_err(|e| {
                let why = format!("the mail server: {e}");
                if e.is_permanent() {
                    MailError::Refused(why)
                } else {
                    MailError::Failed(why)
                }
            }),
            Transport::Folder(dir) => {
                let name = format!(
                    "{}-{}.eml",
                    crate::clock::Clock::now(&crate::clock::SystemClock).millis(),
                    crate::submission::random_id().ok_or(failed("no randomness".into()))?
                );
                let bytes = message.formatted();
                let path = dir.join(name);
                tokio::task::spawn_blocking(move || crate::files::write_private(&path, &bytes))
                    .await
                    .map_err(|e| failed(e.to_string()))?
                    .map_err(|e| failed(format!("cannot write the mail file: {e}")))
            }
        }
    }
}
