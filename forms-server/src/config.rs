//! Configuration: one TOML file, typed, with unknown keys refused.
//!
//! Secrets never sit in the file: the database URL may come from `FORMS_DATABASE_URL`
//! and the vault keys from a key file or `FORMS_VAULT_KEYS`. Relative paths are taken
//! from the config file's folder. Key material is checked as the configuration loads, and
//! a mistake stops start-up with a message naming the key and what is wrong.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use forms_crypto::vault::Keyring;
use serde::Deserialize;

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The HTTPS address, e.g. `0.0.0.0:443`.
    pub listen: SocketAddr,
    /// The folder of form schemas and `queues.yaml`.
    pub schemas: PathBuf,
    pub tls: TlsFiles,
    #[serde(default)]
    pub database: Database,
    #[serde(default)]
    pub vault: Vault,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub log: Log,
    /// Accept synthetic test persons' identity numbers (month + 80). Only for test
    /// and development installations; `forms dev` turns it on.
    #[serde(default)]
    pub allow_synthetic_ids: bool,
    /// Login through ID-porten. Without it, forms that need login cannot be sent.
    #[serde(default)]
    pub idporten: Option<IdPortenConfig>,
    /// Outgoing mail, for caseworkers' replies. Without it, replies cannot be sent.
    #[serde(default)]
    pub mail: Option<MailConfig>,
    #[serde(default)]
    pub housekeeping: Housekeeping,
    #[serde(default)]
    pub site: Site,
    /// A plain-HTTP port that only redirects to HTTPS. Without it there is none.
    #[serde(default)]
    pub redirect: Option<Redirect>,
    /// `GET /metrics` for the monitoring. Without it the address answers 404.
    #[serde(default)]
    pub metrics: Option<MetricsConfig>,
}

/// The metrics for the operators' monitoring (Prometheus), served to whoever shows
/// the token as `Authorization: Bearer`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsConfig {
    /// A file holding the token: at least 32 characters, with no white space.
    pub token_file: PathBuf,
}

impl MetricsConfig {
    /// The SHA-256 of the token in the token file, which is all the server keeps.
    pub fn token_hash(&self) -> Result<[u8; 32], ConfigError> {
        use sha2::{Digest, Sha256};
        let path = self.token_file.display();
        let text = zeroize::Zeroizing::new(
            std::fs::read_to_string(&self.token_file)
                .map_err(|e| ConfigError(format!("[metrics] cannot read {path}: {e}")))?,
        );
        let token = text.trim();
        if token.chars().count() < 32 || token.contains(char::is_whitespace) {
            return Err(ConfigError(format!(
                "[metrics] {path}: the token must be at least 32 characters, with no white \
                 space (e.g. openssl rand -hex 32)"
            )));
        }
        Ok(Sha256::digest(token.as_bytes()).into())
    }
}

/// The plain-HTTP port: `GET` and `HEAD` are sent on to the same path at `to`,
/// everything else is refused unread.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redirect {
    /// The plain address, e.g. `0.0.0.0:80`.
    pub listen: SocketAddr,
    /// The site's HTTPS address, e.g. `https://skjema.example.kommune.no` (a port may
    /// follow the host; no path).
    pub to: String,
}

impl Redirect {
    fn check(&mut self) -> Result<(), ConfigError> {
        self.to = site_address(&self.to).ok_or_else(|| {
            ConfigError("[redirect] to: must be the site's https:// address, with no path".into())
        })?;
        Ok(())
    }
}

/// Who the citizens' pages speak for. Everything is optional; without a name the
/// pages say "Kommunen".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Site {
    /// The municipality's name, e.g. `Eksempel kommune`: in the header, the page
    /// titles, and as the controller on the privacy pages.
    pub name: Option<String>,
    /// The site's accessibility statement (at uustatus.no), linked at the foot of
    /// every page; public bodies in Norway must publish one.
    pub accessibility_statement: Option<String>,
    /// How citizens reach the data protection officer: an e-mail address or an
    /// https:// page, given on the privacy pages.
    pub privacy_contact: Option<String>,
    /// The site's own https:// address (no path), e.g.
    /// `https://skjema.example.kommune.no`: the links in the mails it sends (a
    /// newsletter's, and the confirmation of a subscription) point there.
    pub url: Option<String>,
}

impl Site {
    fn check(&mut self) -> Result<(), ConfigError> {
        if let Some(url) = &self.url {
            self.url = Some(site_address(url).ok_or_else(|| {
                ConfigError("[site] url: must be the site's https:// address, with no path".into())
            })?);
        }
        let bad = |key: &str, why: &str| Err(ConfigError(format!("[site] {key}: {why}")));
        if let Some(name) = &self.name
            && (name.trim().is_empty() || name.chars().count() > 100)
        {
            return bad("name", "must be 1 to 100 characters");
        }
        if let Some(url) = &self.accessibility_statement
            && !is_https_address(url)
        {
            return bad("accessibility_statement", "must be an https:// address");
        }
        if let Some(contact) = &self.privacy_contact
            && !is_https_address(contact)
            && !validator::ValidateEmail::validate_email(contact)
        {
            return bad(
                "privacy_contact",
                "must be an e-mail address or an https:// address",
            );
        }
        Ok(())
    }
}

/// A site's https:// address without a path, and without a slash at the end.
fn site_address(text: &str) -> Option<String> {
    let to = text.trim_end_matches('/');
    let host = to.strip_prefix("https://").unwrap_or_default();
    (is_https_address(to) && !host.contains(['/', '?', '#', '@'])).then(|| to.to_string())
}

fn is_https_address(text: &str) -> bool {
    text.strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.contains(char::is_whitespace))
}

/// The background task that deletes idle sessions and submissions whose retention
/// ended.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Housekeeping {
    /// Seconds between two runs (the first runs at start-up).
    pub every_seconds: u64,
}

impl Default for Housekeeping {
    fn default() -> Self {
        Housekeeping { every_seconds: 300 }
    }
}

/// The SMTP server that sends caseworkers' replies.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    pub host: String,
    /// 587 for STARTTLS, 465 for TLS.
    pub port: u16,
    pub security: MailSecurity,
    /// The sender, e.g. `Kommunen <postmottak@kommune.no>`.
    pub from: String,
    pub username: Option<String>,
    /// A file holding the SMTP password.
    pub password_file: Option<PathBuf>,
    /// An extra CA certificate to trust for the mail server.
    pub ca_file: Option<PathBuf>,
    /// Where bounce mails of newsletters come back, e.g. `retur@kommune.no`: each
    /// newsletter mail is sent from `retur+TAG@kommune.no`, and what comes back there
    /// is handed to `forms admin bounce` (see [`crate::bounce`]).
    pub bounce_address: Option<String>,
}

/// How the connection to the mail server is encrypted; there is no plaintext option.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MailSecurity {
    Starttls,
    Tls,
}

/// The client's registration at ID-porten (see the README's "Production" section).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdPortenConfig {
    /// Exactly as the discovery document states it, e.g. `https://test.idporten.no`.
    pub issuer: String,
    pub client_id: String,
    /// `client_secret_basic`: a file holding the secret.
    pub client_secret_file: Option<PathBuf>,
    /// `private_key_jwt`: an RSA private key (PKCS#8 PEM) and its registered key id.
    pub private_key_file: Option<PathBuf>,
    pub key_id: Option<String>,
    /// `https://<host>/innlogging/tilbake`, as registered.
    pub redirect_uri: String,
    /// `https://<host>/utlogget`, as registered.
    pub post_logout_redirect_uri: String,
    /// KRR's person endpoint, e.g. `https://test.kontaktregisteret.no/rest/v1/person`.
    pub krr_url: String,
    /// How long prefill waits for KRR before the form opens without it.
    #[serde(default = "default_krr_timeout_ms")]
    pub krr_timeout_ms: u64,
    /// An extra CA certificate to trust for ID-porten and KRR (the simulator's).
    pub ca_file: Option<PathBuf>,
    /// 64 hex digits: the key of the HMAC under which identity numbers are looked up.
    pub hmac_key_file: PathBuf,
}

fn default_krr_timeout_ms() -> u64 {
    3000
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// PEM certificate chain, leaf first.
    pub cert: PathBuf,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// `sqlite:///var/lib/forms/forms.db` or `postgres://…`. `FORMS_DATABASE_URL` wins.
    pub url: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vault {
    /// A key file (see `forms_crypto::vault`). `FORMS_VAULT_KEYS` (the file's content)
    /// wins.
    pub key_file: Option<PathBuf>,
}

impl Vault {
    /// The vault keys, from `FORMS_VAULT_KEYS` or the key file.
    pub fn keyring(&self) -> Result<Keyring, ConfigError> {
        let (text, source) = match std::env::var("FORMS_VAULT_KEYS") {
            Ok(text) => (
                zeroize::Zeroizing::new(text),
                "FORMS_VAULT_KEYS".to_string(),
            ),
            Err(_) => {
                let path = self.key_file.as_ref().ok_or_else(|| {
                    ConfigError("no vault keys: set [vault] key_file or FORMS_VAULT_KEYS".into())
                })?;
                let text = std::fs::read_to_string(path).map_err(|e| {
                    ConfigError(format!(
                        "cannot read vault key file {}: {e}",
                        path.display()
                    ))
                })?;
                (zeroize::Zeroizing::new(text), path.display().to_string())
            }
        };
        Keyring::parse(&text).map_err(|e| ConfigError(format!("vault keys in {source}: {e}")))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// The largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// The largest request body of a form with attachments, in bytes.
    pub max_upload_bytes: usize,
    /// How many submissions one network address (an IPv4 address or an IPv6 /64) may
    /// send in an hour, over all forms; 0 is no limit.
    pub submissions_per_hour: u32,
    /// Seconds a connection may go without a byte moving either way, and an HTTP/1
    /// request head may take to arrive in full, before the connection is closed.
    pub idle_seconds: u64,
}

impl Limits {
    fn check(&self) -> Result<(), ConfigError> {
        if !(1..=3600).contains(&self.idle_seconds) {
            return Err(ConfigError(
                "[limits] idle_seconds: must be from 1 to 3600".into(),
            ));
        }
        Ok(())
    }

    /// [`Limits::idle_seconds`] as a duration.
    pub fn idle(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.idle_seconds)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024,
            max_upload_bytes: 25 * 1024 * 1024,
            submissions_per_hour: 30,
            idle_seconds: 60,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Json,
    Text,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    #[serde(default)]
    pub format: LogFormat,
}

#[derive(Debug)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl Config {
    /// Reads and checks a config file, with the environment's overrides applied.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
        let mut config: Config =
            toml::from_str(&text).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(Path::new("."));
        config.resolve_paths(base);
        if let Ok(url) = std::env::var("FORMS_DATABASE_URL") {
            config.database.url = Some(url);
        }
        config.database_url()?;
        config.vault.keyring()?;
        config.site.check()?;
        config.limits.check()?;
        if let Some(redirect) = &mut config.redirect {
            redirect.check()?;
        }
        if let Some(metrics) = &config.metrics {
            metrics.token_hash()?;
        }
        if let Some(address) = config
            .mail
            .as_ref()
            .and_then(|m| m.bounce_address.as_deref())
        {
            crate::bounce::BounceAddress::parse(address).map_err(ConfigError)?;
        }
        Ok(config)
    }

    fn resolve_paths(&mut self, base: &Path) {
        let resolve = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        resolve(&mut self.schemas);
        resolve(&mut self.tls.cert);
        resolve(&mut self.tls.key);
        if let Some(key_file) = &mut self.vault.key_file {
            resolve(key_file);
        }
        if let Some(idporten) = &mut self.idporten {
            for path in [
                &mut idporten.client_secret_file,
                &mut idporten.private_key_file,
                &mut idporten.ca_file,
            ]
            .into_iter()
            .flatten()
            {
                resolve(path);
            }
            resolve(&mut idporten.hmac_key_file);
        }
        if let Some(metrics) = &mut self.metrics {
            resolve(&mut metrics.token_file);
        }
        if let Some(mail) = &mut self.mail {
            for path in [&mut mail.password_file, &mut mail.ca_file]
                .into_iter()
                .flatten()
            {
                resolve(path);
            }
        }
    }

    pub fn database_url(&self) -> Result<&str, ConfigError> {
        self.database.url.as_deref().ok_or_else(|| {
            ConfigError("no database: set [database] url or FORMS_DATABASE_URL".into())
        })
    }

    /// Whether vault keys are configured at all (they may still be wrong).
    pub fn has_vault_keys(&self) -> bool {
        self.vault.key_file.is_some() || std::env::var_os("FORMS_VAULT_KEYS").is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_configuration_is_a_valid_one() {
        let text = include_str!("../../deploy/forms.example.toml");
        let mut config: Config = toml::from_str(text).unwrap();
        assert!(config.idporten.is_some() && config.mail.is_some());
        assert!(config.metrics.is_some());
        assert_eq!(config.housekeeping.every_seconds, 300);
        assert_eq!(config.site.name.as_deref(), Some("Eksempel kommune"));
        config.site.check().unwrap();
        let bounce = config
            .mail
            .as_ref()
            .and_then(|m| m.bounce_address.as_deref());
        crate::bounce::BounceAddress::parse(bounce.unwrap()).unwrap();
        assert_eq!(
            config.site.url.as_deref(),
            Some("https://skjema.example.kommune.no")
        );
    }

    #[test]
    fn the_redirect_goes_to_an_https_address_without_a_path() {
        let check = |to: &str| {
            let mut redirect = Redirect {
                listen: "0.0.0.0:80".parse().unwrap(),
                to: to.into(),
            };
            redirect.check().map(|()| redirect.to)
        };
        assert_eq!(
            check("https://skjema.kommune.no/").unwrap(),
            "https://skjema.kommune.no"
        );
        assert_eq!(
            check("https://skjema.kommune.no:8443").unwrap(),
            "https://skjema.kommune.no:8443"
        );
        for bad in [
            "http://skjema.kommune.no",
            "https://",
            "https://skjema.kommune.no/skjema",
            "https://skjema.kommune.no?x=1",
            "https://user@skjema.kommune.no",
            "skjema.kommune.no",
        ] {
            let err = check(bad).unwrap_err();
            assert!(err.to_string().contains("[redirect] to"), "{bad}: {err}");
        }
    }

    #[test]
    fn a_site_with_a_bad_address_is_refused() {
        let site = |statement: &str, contact: &str| Site {
            name: Some("Eksempel kommune".into()),
            accessibility_statement: Some(statement.into()),
            privacy_contact: Some(contact.into()),
            url: Some("https://skjema.kommune.no/".into()),
        };
        assert!(
            site("https://uustatus.no/x", "personvern@kommune.no")
                .check()
                .is_ok()
        );
        assert!(
            site("https://uustatus.no/x", "https://kommune.no/personvern")
                .check()
                .is_ok()
        );
        let err = site("http://uustatus.no/x", "personvern@kommune.no")
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("accessibility_statement"), "{err}");
        let err = site("https://uustatus.no/x", "personvern")
            .check()
            .unwrap_err();
        assert!(err.to_string().contains("privacy_contact"), "{err}");
        let mut with_path = site("https://uustatus.no/x", "personvern@kommune.no");
        with_path.url = Some("https://skjema.kommune.no/skjema".into());
        assert!(
            with_path
                .check()
                .unwrap_err()
                .to_string()
                .contains("[site] url")
        );
        let mut ok = site("https://uustatus.no/x", "personvern@kommune.no");
        ok.check().unwrap();
        assert_eq!(ok.url.as_deref(), Some("https://skjema.kommune.no"));
        let mut blank = Site {
            name: Some("  ".into()),
            ..Site::default()
        };
        assert!(
            blank
                .check()
                .unwrap_err()
                .to_string()
                .contains("[site] name")
        );
    }

    #[test]
    fn unknown_keys_and_bad_vault_keys_stop_loading() {
        let dir = std::env::temp_dir().join(format!("forms-config-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let base = "listen = \"127.0.0.1:8443\"\nschemas = \"form-schemas\"\n\
                    [tls]\ncert = \"cert.pem\"\nkey = \"key.pem\"\n\
                    [database]\nurl = \"sqlite://forms.db\"\n[vault]\nkey_file = \"vault.keys\"\n";
        let path = dir.join("forms.toml");

        std::fs::write(dir.join("vault.keys"), "k1 abcd\n").unwrap();
        std::fs::write(&path, base).unwrap();
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(err.contains("vault key 'k1' has 2 bytes"), "{err}");

        let line = Keyring::generate_key_line("k1").unwrap();
        std::fs::write(dir.join("vault.keys"), line.as_bytes()).unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(config.tls.cert, dir.join("cert.pem"));
        assert_eq!(config.limits.max_body_bytes, 65536);
        assert_eq!(config.log.format, LogFormat::Json);

        std::fs::write(&path, format!("{base}\n[limits]\nmax_body = 1\n")).unwrap();
        let err = Config::load(&path).unwrap_err().to_string();
        assert!(err.contains("unknown field `max_body`"), "{err}");

        assert_eq!(config.limits.idle(), std::time::Duration::from_secs(60));
        for bad in [0, 3601] {
            std::fs::write(&path, format!("{base}\n[limits]\nidle_seconds = {bad}\n")).unwrap();
            let err = Config::load(&path).unwrap_err().to_string();
            assert!(err.contains("[limits] idle_seconds"), "{bad}: {err}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
