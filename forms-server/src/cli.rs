//! The `forms` command: a thin shell over the library.
//!
//! Parses arguments, sets up logging, and calls one function per command. Every error
//! ends the process with a message on standard error and a non-zero exit status.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use forms_crypto::seal::Identity;

use crate::caseworker::{self, pull};
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, LogFormat, Vault};
use crate::dev::{self, DevOptions, DevPaths};
use crate::schema::Catalog;
use crate::store::Store;
use crate::web::{self, BuildOptions};

#[derive(Parser)]
#[command(
    name = "forms",
    version,
    about = "Secure electronic forms for Norwegian municipalities"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Everything local on one command: certificate, SQLite, dev keys. Not for production.
    Dev {
        /// Where certificate, database and dev keys are kept.
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// Loopback address to listen on.
        #[arg(long, default_value = "127.0.0.1:8443")]
        listen: SocketAddr,
        /// The form schemas.
        #[arg(long, default_value = "form-schemas")]
        schemas: PathBuf,
    },
    /// Run in production from a configuration file.
    Serve {
        #[arg(long)]
        config: PathBuf,
    },
    /// Check form schemas: every mistake with file, line and column.
    Check { dir: PathBuf },
    /// Write the JSON Schemas of the schema files (for editors) into a folder.
    JsonSchema {
        #[arg(long, default_value = "form-schemas")]
        out: PathBuf,
    },
    /// Make a caseworker's age identity and print its public key.
    Keygen {
        /// Where to write the identity (created with mode 0600; never overwritten).
        #[arg(long)]
        out: PathBuf,
    },
    /// Administration: caseworkers and their tokens, retention, guard statistics.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The caseworker's tools, run on the caseworker's own machine.
    Caseworker {
        #[command(subcommand)]
        command: CaseworkerCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the audit log's hash chain; exits 1 naming the first entry that does not
    /// hold (edited, removed or reordered).
    Verify {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// A readable report of the audit log for the privacy officer: who did what with
    /// which submission, and when, from one day to another (both included).
    Export {
        /// The first day, YYYY-MM-DD.
        #[arg(long)]
        from: String,
        /// The last day, YYYY-MM-DD.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

/// Which store an admin command works on: `forms dev`'s `data` folder unless told.
#[derive(Args)]
#[group(required = false, multiple = false)]
struct StoreArgs {
    /// The data folder of `forms dev` [default: data].
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// The configuration file of `forms serve`.
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Caseworkers.
    Caseworker {
        #[command(subcommand)]
        command: AdminCaseworkerCommand,
    },
    /// How often the content guard refused a message, by day, form and kind (counts
    /// only; nothing of the messages is kept).
    GuardStats {
        /// The first day to count, YYYY-MM-DD [default: 30 days ago].
        #[arg(long)]
        since: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Each queue's workload and who can read it: submissions new, in progress and
    /// done, how long the oldest new one has waited, the caseworkers whose token works,
    /// and the keys its submissions are sealed to. Exits 1 if a queue has no caseworker
    /// whose token works, so that nobody would read what citizens send to it.
    Queues {
        #[command(flatten)]
        store: StoreArgs,
        /// The schemas that declare the queues (with --data-dir; --config names its own).
        #[arg(long, default_value = "form-schemas")]
        schemas: PathBuf,
    },
    /// Delete now every submission whose retention has ended (the server also does this
    /// every few minutes); each deletion is an audit entry.
    Retention {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Copy a SQLite database, consistent, while the server runs (PostgreSQL: use
    /// pg_dump). The copy holds sealed answers and vault ciphertexts, no plaintext; keep
    /// the vault key file apart from it.
    Backup {
        /// The new file (mode 0600); an existing file is not overwritten.
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Move a SQLite database into a new, empty PostgreSQL database, so that several
    /// servers can share it: everything but login sessions and the hourly counts, in
    /// one transaction; then check the audit chain there. Stop the server first.
    MoveToPostgres {
        /// The PostgreSQL database's URL [default: $FORMS_TARGET_DATABASE_URL, which
        /// keeps a password off the command line].
        #[arg(long)]
        to: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
    },
    /// The field vault's keys (reply addresses, sessions, newsletter subscriptions and
    /// the KRR addresses of privacy requests are encrypted with them).
    Vault {
        #[command(subcommand)]
        command: AdminVaultCommand,
    },
    /// Take in one bounce mail, on standard input, that came back to `[mail]
    /// bounce_address`: for the mail system to run on each (a Postfix pipe transport,
    /// say). A report that a newsletter mail failed counts as a refusal of it at the
    /// subscriber's address. Exits 0 when the mail is taken in or ignored, and 75
    /// (EX_TEMPFAIL: try again later) when it could not be, such as with the database
    /// out of reach.
    Bounce {
        /// The server's configuration file.
        #[arg(long)]
        config: PathBuf,
        /// The address the mail came to (Postfix: ${original_recipient}) [default: the
        /// message's X-Original-To, Delivered-To or To header].
        #[arg(long)]
        recipient: Option<String>,
    },
}

#[derive(Subcommand)]
enum AdminVaultCommand {
    /// Re-encrypt every stored vault value under the newest key of the key file, and
    /// say which older keys hold nothing any more (their lines can then be removed).
    /// Add the new key as the key file's last line and restart the server first.
    Rekey {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum AdminCaseworkerCommand {
    /// Add a caseworker to one or more queues and print their token (shown once).
    Add {
        #[arg(long = "queue", required = true)]
        queues: Vec<String>,
        #[arg(long)]
        name: String,
        #[command(flatten)]
        store: StoreArgs,
        /// The schemas that declare the queues (with --data-dir; --config names its own).
        #[arg(long, default_value = "form-schemas")]
        schemas: PathBuf,
        /// Days until the token stops working.
        #[arg(long, default_value_t = 180)]
        valid_days: u32,
    },
    /// List caseworkers: id, name, queues, and whether their token still works.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revoke a caseworker's token for good (the id from `list`).
    Revoke {
        id: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Args)]
struct ServerArgs {
    /// The server's base URL, e.g. https://skjema.kommune.no
    #[arg(long)]
    server: String,
    /// A file holding the caseworker's token.
    #[arg(long)]
    token_file: PathBuf,
    /// An extra root certificate to trust (PEM), e.g. `forms dev`'s data/tls/cert.pem.
    #[arg(long)]
    ca: Option<PathBuf>,
}

/// Which submission a case command is about.
#[derive(Args)]
struct CaseArgs {
    /// The submission's reference (e.g. 2026-7K3F-9QXA, the name of the files `pull`
    /// writes) or its id.
    #[arg(long)]
    id: String,
}

#[derive(Subcommand)]
enum CaseworkerCommand {
    /// Fetch new submissions of your queues and decrypt them here; delete the files of
    /// those the server has deleted since.
    Pull {
        #[command(flatten)]
        server: ServerArgs,
        /// Your age identity file. It never leaves this machine.
        #[arg(long)]
        identity: PathBuf,
        /// Where to write the decrypted submissions.
        #[arg(long)]
        out: PathBuf,
    },
    /// List your queues' submissions: reference, form, when received, status (no
    /// answers; nothing is decrypted).
    List {
        #[command(flatten)]
        server: ServerArgs,
        /// Only the submissions with this status.
        #[arg(long, value_parser = ["new", "in_progress", "done"])]
        status: Option<String>,
    },
    /// Re-seal every stored submission of a queue to its current keys (after a key was
    /// removed or replaced), decrypting and encrypting here; the server gets only the
    /// new ciphertexts.
    Reseal {
        #[command(flatten)]
        server: ServerArgs,
        /// Your age identity file. It never leaves this machine.
        #[arg(long)]
        identity: PathBuf,
        #[arg(long)]
        queue: String,
    },
    /// Move a submission to another queue: decrypted here, sealed to that queue's
    /// keys, and gone from yours.
    Forward {
        #[command(flatten)]
        server: ServerArgs,
        /// Your age identity file. It never leaves this machine.
        #[arg(long)]
        identity: PathBuf,
        #[command(flatten)]
        case: CaseArgs,
        /// The queue to send it to.
        #[arg(long)]
        to: String,
    },
    /// Answer the citizen by e-mail (the server sends it to the address they gave,
    /// then deletes the address).
    Reply {
        /// The submission's reference (e.g. 2026-7K3F-9QXA) or its id, as for the other
        /// commands on one case.
        #[arg(long, required_unless_present = "reference")]
        id: Option<String>,
        /// The same without `--id`, as this command once took it.
        #[arg(hide = true, conflicts_with = "id")]
        reference: Option<String>,
        #[command(flatten)]
        server: ServerArgs,
        /// A UTF-8 text file with the answer.
        #[arg(long)]
        file: PathBuf,
    },
    /// Erase a submission, with its notes, at the citizen's request; refused while the
    /// law its form names still requires keeping it.
    Erase {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        case: CaseArgs,
    },
    /// Mark a submission done.
    Done {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        case: CaseArgs,
    },
    /// Take a case: in progress, by you.
    Take {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        case: CaseArgs,
    },
    /// Add an internal note to a case, sealed here to the queue's keys.
    Note {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        case: CaseArgs,
        /// A UTF-8 text file with the note.
        #[arg(long)]
        file: PathBuf,
    },
    /// Show a case's notes, decrypted here.
    Notes {
        #[command(flatten)]
        server: ServerArgs,
        /// Your age identity file. It never leaves this machine.
        #[arg(long)]
        identity: PathBuf,
        #[command(flatten)]
        case: CaseArgs,
    },
    /// Show what the server holds about the citizen who sent a privacy request (the
    /// innsyn or retting form, after login), in every queue: each of their
    /// submissions' metadata and history, for answering them. No answers: those are
    /// sealed to their queues.
    SubjectAccess {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        case: CaseArgs,
    },
    /// Erase, on a citizen's request for erasure (the retting form, after login), what
    /// the server holds about them in every queue and the newsletter subscriptions of
    /// the address KRR had for them, or only what is named with --only; a submission a
    /// law still keeps is kept, and said so with the law and the day. The request itself
    /// is kept as the record of the answer.
    SubjectErasure {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        case: CaseArgs,
        /// A reference, or a subscription's id, from the subject access report to erase
        /// (repeat for more); without it, everything of the citizen's is erased.
        #[arg(long = "only", value_name = "REFERENCE")]
        only: Vec<String>,
    },
    /// Send a newsletter to the subscribers of a subscription form routed to your queue
    /// (all, or one topic's), and wait while the server mails it. The text is plain;
    /// each subscriber's mail ends with the link to change topics or unsubscribe.
    Newsletter {
        #[command(flatten)]
        server: ServerArgs,
        /// The subscription form, e.g. nyhetsbrev.
        #[arg(long)]
        form: String,
        /// Only the subscribers of this topic (an option value of the form's topics).
        #[arg(long)]
        topic: Option<String>,
        #[arg(long)]
        subject: String,
        /// A UTF-8 text file with the newsletter's text.
        #[arg(long)]
        file: PathBuf,
        /// Mail it only to this address first, as a subscriber would get it, to read
        /// it over; nothing goes to subscribers.
        #[arg(long, value_name = "ADDRESS")]
        test_to: Option<String>,
    },
    /// Show how many subscribe to a subscription form of your queue, in all and by
    /// topic (counts only), and the newsletters sent, newest first.
    Newsletters {
        #[command(flatten)]
        server: ServerArgs,
        /// The subscription form, e.g. nyhetsbrev.
        #[arg(long)]
        form: String,
    },
    /// Record that the citizen consented (by phone, letter or in person) to the case
    /// being handed to another public body.
    Consent {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        case: CaseArgs,
    },
    /// Record a handover of the case to another public body; refused unless the citizen
    /// consented.
    Handover {
        #[command(flatten)]
        server: ServerArgs,
        #[command(flatten)]
        case: CaseArgs,
    },
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    // Logs go to standard error, so standard output carries only a command's result
    // (a token, a public key) and can be piped.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi);
    match format {
        LogFormat::Json => builder.json().flatten_event(true).init(),
        LogFormat::Text => builder.init(),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}

/// Runs the command line; the binary's `main` is just this.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("forms: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<ExitCode, String> {
    match command {
        Command::Dev {
            data_dir,
            listen,
            schemas,
        } => {
            init_logging(LogFormat::Text);
            runtime()?.block_on(dev::run(DevOptions {
                data_dir,
                listen,
                schemas,
            }))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { config } => {
            let config = Config::load(&config).map_err(|e| e.to_string())?;
            init_logging(config.log.format);
            runtime()?.block_on(async {
                let app = web::build(&config, BuildOptions::default())
                    .await
                    .map_err(|e| e.to_string())?;
                let addr = app.local_addr().map_err(|e| e.to_string())?;
                if let Some(plain) = app.redirect_addr() {
                    let plain = plain.map_err(|e| e.to_string())?;
                    tracing::info!(addr = %plain, "plain HTTP port: redirects to HTTPS only");
                }
                tracing::info!(%addr, "serving HTTPS");
                app.run().await;
                Ok::<_, String>(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::JsonSchema { out } => {
            crate::schema::json_schema::write(&out)
                .map_err(|e| format!("cannot write into {}: {e}", out.display()))?;
            println!(
                "wrote {} and {} in {}",
                crate::schema::json_schema::FORM_SCHEMA_FILE,
                crate::schema::json_schema::QUEUES_SCHEMA_FILE,
                out.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Check { dir } => match Catalog::load_dir(&dir) {
            Ok(catalog) => {
                println!(
                    "{}: {} forms and {} queues, no errors",
                    dir.display(),
                    catalog.forms().count(),
                    catalog.queues().count()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(errors) => {
                for error in &errors {
                    println!("{error}");
                }
                println!("{} error(s)", errors.len());
                Ok(ExitCode::FAILURE)
            }
        },
        Command::Keygen { out } => keygen(&out),
        Command::Admin {
            command:
                AdminCommand::Caseworker {
                    command:
                        AdminCaseworkerCommand::Add {
                            queues,
                            name,
                            store,
                            schemas,
                            valid_days,
                        },
                },
        } => {
            init_logging(LogFormat::Text);
            runtime()?.block_on(admin_add_caseworker(
                &queues, &name, &store, &schemas, valid_days,
            ))
        }
        Command::Admin {
            command:
                AdminCommand::Caseworker {
                    command: AdminCaseworkerCommand::List { store },
                },
        } => {
            init_logging(LogFormat::Text);
            runtime()?.block_on(admin_list_caseworkers(&store))
        }
        Command::Admin {
            command:
                AdminCommand::Caseworker {
                    command: AdminCaseworkerCommand::Revoke { id, store },
                },
        } => {
            init_logging(LogFormat::Text);
            runtime()?.block_on(admin_revoke_caseworker(&id, &store))
        }
        Command::Admin {
            command: AdminCommand::GuardStats { since, store },
        } => {
            init_logging(LogFormat::Text);
            runtime()?.block_on(admin_guard_stats(since, &store))
        }
        Command::Admin {
            command: AdminCommand::Queues { store, schemas },
        } => {
            init_logging(LogFormat::Text);
            runtime()?.block_on(admin_queues(&store, &schemas))
        }
        Command::Admin {
            command: AdminCommand::Retention { store },
        } => {
            init_logging(LogFormat::Text);
            runtime()?.block_on(admin_retention(&store))
        }
        Command::Admin {
            command: AdminCommand::MoveToPostgres { to, store },
        } => {
            init_logging(LogFormat::Text);
            runtime()?.block_on(admin_move(to, &store))
        }
        Command::Admin {
            command: AdminCommand::Backup { out, store },
        } => {
            init_logging(LogFormat::Text);
            runtime()?.block_on(admin_backup(&out, &store))
        }
        Command::Admin {
            command:
                AdminCommand::Vault {
                    command: AdminVaultCommand::Rekey { store },
                },
        } => {
            init_logging(LogFormat::Text);
            runtime()?.block_on(admin_vault_rekey(&store))
        }
        Command::Admin {
            command: AdminCommand::Bounce { config, recipient },
        } => {
            init_logging(LogFormat::Text);
            let taken = runtime().and_then(|rt| rt.block_on(admin_bounce(&config, recipient)));
            Ok(taken.unwrap_or_else(|message| {
                eprintln!("forms: {message}");
                ExitCode::from(EX_TEMPFAIL)
            }))
        }
        Command::Caseworker { command } => runtime()?.block_on(caseworker_command(command)),
        Command::Audit {
            command: AuditCommand::Verify { store },
        } => {
            init_logging(LogFormat::Text);
            runtime()?.block_on(audit_verify(&store))
        }
        Command::Audit {
            command: AuditCommand::Export { from, to, store },
        } => {
            init_logging(LogFormat::Text);
            runtime()?.block_on(audit_export(&from, &to, &store))
        }
    }
}

fn keygen(out: &Path) -> Result<ExitCode, String> {
    if out.exists() {
        return Err(format!(
            "{} exists; not overwriting an identity",
            out.display()
        ));
    }
    let identity = Identity::generate();
    let now = SystemClock.now().rfc3339();
    crate::files::write_private(out, identity.to_identity_file(&now).as_bytes())
        .map_err(|e| e.to_string())?;
    eprintln!(
        "Identity written to {} (keep it on this machine only).",
        out.display()
    );
    eprintln!("Public key, for queues.yaml:");
    println!("{}", identity.recipient());
    Ok(ExitCode::SUCCESS)
}

/// What an admin command works on: a server's configuration, or `forms dev`'s data
/// folder.
struct Location {
    /// The database URL.
    url: String,
    /// The schema folder.
    schemas: PathBuf,
    /// Where the field vault's keys are.
    vault: Vault,
    /// The data folder of `forms dev`, when it is that.
    dev: Option<DevPaths>,
}

fn store_location(args: &StoreArgs, schemas: &Path) -> Result<Location, String> {
    if let Some(config) = &args.config {
        let config = Config::load(config).map_err(|e| e.to_string())?;
        let url = config
            .database_url()
            .map_err(|e| e.to_string())?
            .to_string();
        return Ok(Location {
            url,
            schemas: config.schemas,
            vault: config.vault,
            dev: None,
        });
    }
    let dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("data"));
    let paths = DevPaths::new(&dir);
    if !paths.database.exists() {
        return Err(format!(
            "no database at {}: give --config FILE for a server, or run `forms dev` first",
            paths.database.display()
        ));
    }
    Ok(Location {
        url: paths.database_url(),
        schemas: schemas.to_path_buf(),
        vault: Vault {
            key_file: Some(paths.vault.clone()),
        },
        dev: Some(paths),
    })
}

/// The schemas in `dir`, or how many mistakes they have.
fn checked_catalog(dir: &Path) -> Result<Catalog, String> {
    Catalog::load_dir(dir).map_err(|errors| {
        format!(
            "the schemas in {} have {} error(s); run forms check",
            dir.display(),
            errors.len()
        )
    })
}

async fn admin_add_caseworker(
    queues: &[String],
    name: &str,
    args: &StoreArgs,
    schemas: &Path,
    valid_days: u32,
) -> Result<ExitCode, String> {
    let Location { url, schemas, .. } = store_location(args, schemas)?;
    let catalog = checked_catalog(&schemas)?;
    for queue in queues {
        if catalog.queue(queue).is_none() {
            let known: Vec<String> = catalog.queues().map(|q| q.id.to_string()).collect();
            return Err(format!(
                "no queue '{queue}'; the queues are: {}",
                known.join(", ")
            ));
        }
    }
    let store = Store::open(&url).await.map_err(|e| e.to_string())?;
    let now = SystemClock.now();
    let expires = crate::clock::Timestamp(now.millis() + i64::from(valid_days) * 86_400_000);
    let (id, token) = caseworker::add(&store, name, queues, now, Some(expires))
        .await
        .map_err(|e| e.to_string())?;
    store.close().await;
    eprintln!(
        "Caseworker {id} added to {}, valid until {}. Their token, shown only now:",
        queues.join(", "),
        expires.display_nb()
    );
    println!("{}", *token);
    Ok(ExitCode::SUCCESS)
}

async fn admin_list_caseworkers(args: &StoreArgs) -> Result<ExitCode, String> {
    let Location { url, .. } = store_location(args, Path::new("form-schemas"))?;
    let store = Store::open(&url).await.map_err(|e| e.to_string())?;
    let all = store.caseworkers().await.map_err(|e| e.to_string())?;
    store.close().await;
    let now = SystemClock.now();
    for c in &all {
        let state = match (c.revoked_at, c.expires_at) {
            (Some(at), _) => format!("revoked {}", at.display_nb()),
            (None, Some(at)) if !c.active(now) => format!("expired {}", at.display_nb()),
            (None, Some(at)) => format!("valid until {}", at.display_nb()),
            (None, None) => "valid, no expiry".to_string(),
        };
        println!("{}  {}  [{}]  {state}", c.id, c.name, c.queues.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

async fn admin_revoke_caseworker(id: &str, args: &StoreArgs) -> Result<ExitCode, String> {
    let Location { url, .. } = store_location(args, Path::new("form-schemas"))?;
    let store = Store::open(&url).await.map_err(|e| e.to_string())?;
    let found = caseworker::revoke(&store, id, SystemClock.now())
        .await
        .map_err(|e| e.to_string())?;
    store.close().await;
    if !found {
        return Err(format!(
            "no caseworker '{id}' (see forms admin caseworker list)"
        ));
    }
    println!("caseworker {id}: token revoked");
    Ok(ExitCode::SUCCESS)
}

async fn audit_verify(args: &StoreArgs) -> Result<ExitCode, String> {
    let Location { url, .. } = store_location(args, Path::new("form-schemas"))?;
    let store = Store::open(&url).await.map_err(|e| e.to_string())?;
    let verdict = store.verify_audit().await.map_err(|e| e.to_string())?;
    store.close().await;
    match verdict {
        crate::store::AuditVerdict::Intact { entries, legacy } => {
            println!("audit log intact: {entries} chained entries");
            if legacy > 0 {
                println!("({legacy} older entries predate the chain and are not covered)");
            }
            Ok(ExitCode::SUCCESS)
        }
        crate::store::AuditVerdict::Broken { seq, why } => {
            println!("audit log BROKEN: entry {seq} {why}");
            Ok(ExitCode::from(1))
        }
    }
}

async fn audit_export(from: &str, to: &str, args: &StoreArgs) -> Result<ExitCode, String> {
    let day = |text: &str, flag: &str| {
        crate::clock::Date::parse(text)
            .ok_or_else(|| format!("--{flag} {text}: write the day as YYYY-MM-DD"))
    };
    let (first, last) = (day(from, "from")?, day(to, "to")?);
    let start = first.norwegian_midnight();
    let end = crate::clock::Timestamp(last.norwegian_midnight().millis() + 86_400_000);
    let Location { url, .. } = store_location(args, Path::new("form-schemas"))?;
    let store = Store::open(&url).await.map_err(|e| e.to_string())?;
    let verdict = store.verify_audit().await.map_err(|e| e.to_string())?;
    let entries = store
        .audit_between(start, end)
        .await
        .map_err(|e| e.to_string())?;
    let names = store.caseworker_names().await.map_err(|e| e.to_string())?;
    store.close().await;
    println!("Innsynslogg {first} til {last}");
    match verdict {
        crate::store::AuditVerdict::Intact { .. } => {
            println!("Loggkjeden er kontrollert og hel.")
        }
        crate::store::AuditVerdict::Broken { seq, why } => {
            println!("ADVARSEL: loggkjeden er brutt ved oppføring {seq} ({why}).")
        }
    }
    println!();
    println!(
        "{:<20}  {:<32}  {:<40}  {:<16}  kø",
        "tid", "hvem", "hva", "referanse"
    );
    for (entry, reference) in &entries {
        let who = crate::privacy::actor_words(
            &entry.actor,
            crate::store::actors::name_of(&entry.actor, &names),
        );
        println!(
            "{:<20}  {:<32}  {:<40}  {:<16}  {}",
            entry.at.display_nb(),
            who,
            crate::privacy::action_words(entry.action),
            reference.as_deref().unwrap_or("-"),
            entry.queue.as_deref().unwrap_or("-"),
        );
    }
    println!();
    println!("{} oppføring(er).", entries.len());
    Ok(ExitCode::SUCCESS)
}

async fn admin_retention(args: &StoreArgs) -> Result<ExitCode, String> {
    let Location { url, .. } = store_location(args, Path::new("form-schemas"))?;
    let store = Store::open(&url).await.map_err(|e| e.to_string())?;
    let deleted = crate::privacy::retention::delete_expired(&store, SystemClock.now()).await;
    store.close().await;
    let deleted = deleted.map_err(|e| format!("cannot delete expired submissions: {e}"))?;
    println!("{deleted} submission(s) deleted: their retention had ended");
    Ok(ExitCode::SUCCESS)
}

async fn admin_move(to: Option<String>, args: &StoreArgs) -> Result<ExitCode, String> {
    let to = to
        .or_else(|| std::env::var("FORMS_TARGET_DATABASE_URL").ok())
        .ok_or("name the PostgreSQL database: --to URL or FORMS_TARGET_DATABASE_URL")?;
    if !to.starts_with("postgres://") && !to.starts_with("postgresql://") {
        return Err("--to: a postgres:// URL".into());
    }
    let Location { url, .. } = store_location(args, Path::new("form-schemas"))?;
    if !url.starts_with("sqlite:") {
        return Err("the database to move from is not SQLite".into());
    }
    let source = Store::open(&url).await.map_err(|e| e.to_string())?;
    let target = Store::open(&to)
        .await
        .map_err(|e| format!("the PostgreSQL database: {e}"))?;
    let moved = source.copy_to_postgres(&target).await;
    source.close().await;
    let moved = match moved {
        Ok(moved) => moved,
        Err(e) => {
            target.close().await;
            return Err(format!("nothing was moved: {e}"));
        }
    };
    for (table, rows) in &moved {
        println!("{table:20} {rows:>9} row(s)");
    }
    let entry = crate::store::AuditEntry::by_admin(
        crate::store::actions::DATABASE_MOVED,
        SystemClock.now(),
    );
    let audited = target.write(vec![crate::store::Op::Audit(entry)]).await;
    let verdict = target.verify_audit().await;
    target.close().await;
    audited.map_err(|e| format!("moved, but the move's audit entry was not written: {e}"))?;
    match verdict.map_err(|e| e.to_string())? {
        crate::store::AuditVerdict::Intact { entries, .. } => {
            println!(
                "Moved. The audit log in PostgreSQL is intact ({entries} chained entries). \
                 Point the servers' [database] url (or FORMS_DATABASE_URL) at it, give them \
                 the same vault key file, and keep the SQLite file until they run."
            );
            Ok(ExitCode::SUCCESS)
        }
        crate::store::AuditVerdict::Broken { seq, why } => {
            println!("Moved, but the audit log in PostgreSQL is BROKEN: entry {seq} {why}");
            Ok(ExitCode::from(1))
        }
    }
}

async fn admin_backup(out: &Path, args: &StoreArgs) -> Result<ExitCode, String> {
    if out.exists() {
        return Err(format!(
            "{} exists; give a new file (a copy is never written over another)",
            out.display()
        ));
    }
    let Location { url, .. } = store_location(args, Path::new("form-schemas"))?;
    let store = Store::open(&url).await.map_err(|e| e.to_string())?;
    let copied = copy_store(&store, out).await;
    if copied.is_ok() {
        let entry = crate::store::AuditEntry::by_admin(
            crate::store::actions::DATABASE_COPIED,
            SystemClock.now(),
        );
        let audited = store.write(vec![crate::store::Op::Audit(entry)]).await;
        if let Err(e) = audited {
            eprintln!("forms: the copy was made, but its audit entry was not written: {e}");
        }
    }
    store.close().await;
    let bytes = copied?;
    println!(
        "Copied the database to {} ({:.1} MB). It holds sealed answers and vault \
         ciphertexts, no plaintext: keep the vault key file apart from it.",
        out.display(),
        bytes as f64 / 1_000_000.0
    );
    Ok(ExitCode::SUCCESS)
}

/// `store` copied into a new private file at `out`; its size.
async fn copy_store(store: &Store, out: &Path) -> Result<u64, String> {
    let failed = |e: &dyn std::fmt::Display| format!("cannot copy the database: {e}");
    let (tmp, file) = crate::files::private_partial(out).map_err(|e| failed(&e))?;
    drop(file);
    let copied = match store.copy_into(&tmp).await {
        Ok(()) => crate::files::finish_private(&tmp, out).map_err(|e| failed(&e)),
        Err(e) => Err(failed(&e)),
    };
    if copied.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    copied?;
    std::fs::metadata(out)
        .map(|m| m.len())
        .map_err(|e| failed(&e))
}

/// sysexits.h: a mail system keeps the message and tries again later.
const EX_TEMPFAIL: u8 = 75;
/// The most of a bounce mail read: its report comes before any copy of the mail.
const BOUNCE_READ_MAX: u64 = 1024 * 1024;

async fn admin_bounce(config: &Path, recipient: Option<String>) -> Result<ExitCode, String> {
    use std::io::Read;
    let mut message = Vec::new();
    let mut stdin = std::io::stdin().lock();
    (&mut stdin)
        .take(BOUNCE_READ_MAX)
        .read_to_end(&mut message)
        .map_err(|e| format!("cannot read the mail: {e}"))?;
    std::io::copy(&mut stdin, &mut std::io::sink())
        .map_err(|e| format!("cannot read the mail: {e}"))?;
    let config = Config::load(config).map_err(|e| e.to_string())?;
    let address = config
        .mail
        .as_ref()
        .and_then(|mail| mail.bounce_address.as_deref())
        .ok_or("the configuration has no [mail] bounce_address")?;
    let address = crate::bounce::BounceAddress::parse(address)?;
    let tags = crate::bounce::BounceTags::new(&config.vault.keyring().map_err(|e| e.to_string())?)?;
    let recipient = recipient.or_else(|| crate::bounce::recipient_in(&message, &address));
    let Some(recipient) = recipient else {
        println!("Ignored: not addressed to a tagged bounce address.");
        return Ok(ExitCode::SUCCESS);
    };
    let url = config
        .database_url()
        .map_err(|e| e.to_string())?
        .to_string();
    let store = Store::open(&url).await.map_err(|e| e.to_string())?;
    let outcome = crate::bounce::take_in(
        &store,
        &tags,
        &address,
        &recipient,
        &message,
        crate::newsletter::REFUSALS_TO_END,
    )
    .await;
    store.close().await;
    let said = match outcome.map_err(|e| format!("the bounce mail was not counted: {e}"))? {
        crate::bounce::Outcome::Counted { ended: true } => format!(
            "Counted: the newsletter did not arrive. The subscription has ended, since              {} newsletters in a row did not.",
            crate::newsletter::REFUSALS_TO_END
        ),
        crate::bounce::Outcome::Counted { ended: false } => {
            "Counted: the newsletter did not arrive.".to_string()
        }
        crate::bounce::Outcome::NotOurs => {
            "Ignored: not addressed to a tagged bounce address.".to_string()
        }
        crate::bounce::Outcome::NotFailed(status) => match status {
            crate::bounce::Status::NotAReport => {
                "Ignored: not a delivery status notification.".to_string()
            }
            _ => "Ignored: the report does not say the mail failed.".to_string(),
        },
        crate::bounce::Outcome::Stale => "Ignored: it is not about the newsletter last mailed \
             to a subscription (late, counted before, or not the server's tag)."
            .to_string(),
    };
    println!("{said}");
    Ok(ExitCode::SUCCESS)
}

async fn admin_vault_rekey(args: &StoreArgs) -> Result<ExitCode, String> {
    let Location { url, vault, .. } = store_location(args, Path::new("form-schemas"))?;
    let ring = vault.keyring().map_err(|e| e.to_string())?;
    let store = Store::open(&url).await.map_err(|e| e.to_string())?;
    let done = crate::vault::rekey(&store, &ring, SystemClock.now()).await;
    store.close().await;
    let done = done.map_err(|e| format!("cannot re-encrypt the vault's values: {e}"))?;
    println!(
        "Vault key {} encrypts. Re-encrypted under it: {} reply address(es), {} session(s), \
         {} subscription(s), {} privacy request address(es). Subscription address keys \
         derived anew: {}.",
        done.newest,
        done.reply_addresses,
        done.sessions,
        done.subscriptions,
        done.contact_addresses,
        done.address_keys
    );
    let stored: Vec<String> = done
        .stored
        .iter()
        .map(|(id, count)| format!("{id} {count}"))
        .collect();
    println!(
        "Stored values by key now: {}",
        if stored.is_empty() {
            "none".to_string()
        } else {
            stored.join(", ")
        }
    );
    for (id, count) in &done.unopened {
        println!(
            "{count} value(s) under key {id} do not open with these keys (a key missing from \
             the key file, or a damaged value); they were left as they are."
        );
    }
    let mut clean = done.unopened.is_empty();
    for (id, count) in &done.stored {
        if *id != done.newest && !done.unopened.contains_key(id) {
            clean = false;
            println!(
                "Key {id} still holds {count} value(s), written while this ran: restart \
                 every server so that it encrypts with {}, then run this again.",
                done.newest
            );
        }
    }
    for id in done.retired(&ring) {
        println!(
            "Key {id} holds nothing any more: remove its line from the key file, then \
             restart the server."
        );
    }
    Ok(if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn admin_guard_stats(since: Option<String>, args: &StoreArgs) -> Result<ExitCode, String> {
    let since = match since {
        Some(day) => crate::clock::Date::parse(&day)
            .ok_or_else(|| format!("--since {day}: write the day as YYYY-MM-DD"))?
            .to_string(),
        None => crate::clock::Timestamp(SystemClock.now().millis() - 30 * 86_400_000)
            .norwegian_day()
            .to_string(),
    };
    let Location { url, .. } = store_location(args, Path::new("form-schemas"))?;
    let store = Store::open(&url).await.map_err(|e| e.to_string())?;
    let rows = store
        .guard_refusals(&since)
        .await
        .map_err(|e| e.to_string())?;
    store.close().await;
    println!(
        "{:<10}  {:<24}  {:<16}  {:>6}",
        "day", "form", "kind", "count"
    );
    let mut total = 0;
    for row in &rows {
        println!(
            "{:<10}  {:<24}  {:<16}  {:>6}",
            row.day, row.form_id, row.kind, row.count
        );
        total += row.count;
    }
    println!("{total} refusal(s) counted per kind since {since}");
    Ok(ExitCode::SUCCESS)
}

async fn admin_queues(args: &StoreArgs, schemas: &Path) -> Result<ExitCode, String> {
    let Location {
        url, schemas, dev, ..
    } = store_location(args, schemas)?;
    let mut catalog = checked_catalog(&schemas)?;
    if let Some(paths) = &dev {
        // `forms dev` seals to its own keys instead of those in queues.yaml.
        catalog.replace_recipients_for_dev(&crate::dev::dev_recipients(paths, &catalog)?);
    }
    let store = Store::open(&url).await.map_err(|e| e.to_string())?;
    let now = SystemClock.now();
    let workload = crate::caseworker::workload(&store, &catalog, now).await;
    store.close().await;
    let workload = workload.map_err(|e| e.to_string())?;
    println!(
        "{:<20}  {:>5}  {:>11}  {:>5}  {:<16}  {:>11}  {:>4}",
        "queue", "new", "in progress", "done", "oldest new", "caseworkers", "keys"
    );
    for queue in &workload {
        let waiting = queue.oldest_new.map_or_else(
            || "-".to_string(),
            |oldest| format!("{} day(s)", (now.millis() - oldest.millis()) / 86_400_000),
        );
        println!(
            "{:<20}  {:>5}  {:>11}  {:>5}  {waiting:<16}  {:>11}  {:>4}",
            queue.queue, queue.new, queue.in_progress, queue.done, queue.readers, queue.keys,
        );
    }
    let unread: Vec<&str> = workload
        .iter()
        .filter(|q| q.readers == 0)
        .map(|q| q.queue.as_str())
        .collect();
    if unread.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    println!();
    for queue in unread {
        println!(
            "! {queue}: no caseworker has a token that works, so nobody can fetch what \
             citizens send to it (forms admin caseworker add --queue {queue})"
        );
    }
    Ok(ExitCode::from(1))
}

/// After a pull: how many references `what`, then each of them; nothing if none.
fn print_removed(references: &[String], what: &str) {
    if references.is_empty() {
        return;
    }
    println!("{} {what}", references.len());
    for reference in references {
        println!("  {reference}");
    }
}

/// The caseworker API as the caseworker of `--token-file` (trusting `--ca` if given).
fn api(server: &ServerArgs) -> Result<pull::Api, String> {
    let token = read_token(&server.token_file)?;
    let ca = read_ca(server.ca.as_deref())?;
    pull::Api::new(&server.server, &token, ca.as_deref()).map_err(|e| e.to_string())
}

/// `POST /api/v1/submissions/{id}/{action}` as the caseworker, on the submission with
/// this id or reference; gives its reference.
async fn post_action(server: &ServerArgs, id: &str, action: &str) -> Result<String, String> {
    api(server)?
        .post_action(id, action)
        .await
        .map_err(|e| e.to_string())
}

fn read_identities(path: &Path) -> Result<Vec<Identity>, String> {
    let text = zeroize::Zeroizing::new(
        std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the identity {}: {e}", path.display()))?,
    );
    Identity::parse_file(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn read_token(path: &Path) -> Result<zeroize::Zeroizing<String>, String> {
    std::fs::read_to_string(path)
        .map(|t| zeroize::Zeroizing::new(t.trim().to_string()))
        .map_err(|e| format!("cannot read the token file {}: {e}", path.display()))
}

fn read_ca(path: Option<&Path>) -> Result<Option<Vec<u8>>, String> {
    path.map(|p| std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display())))
        .transpose()
}

async fn caseworker_command(command: CaseworkerCommand) -> Result<ExitCode, String> {
    let failed = |e: pull::PullError| e.to_string();
    match command {
        CaseworkerCommand::Pull {
            server,
            identity,
            out,
        } => {
            let identities = read_identities(&identity)?;
            let report = api(&server)?
                .pull(&identities, &out)
                .await
                .map_err(failed)?;
            println!(
                "{} new submission(s) written to {}; {} already there",
                report.written.len(),
                out.display(),
                report.skipped
            );
            for reference in &report.written {
                println!("  {reference}");
            }
            if report.attachments > 0 {
                println!(
                    "{} attached file(s), in a folder REFERENCE-vedlegg beside each submission",
                    report.attachments
                );
            }
            print_removed(
                &report.removed,
                "submission(s) deleted on the server (retention ended, or erased on \
                 request); their files here are deleted too",
            );
            print_removed(
                &report.forwarded,
                "case(s) forwarded to a queue you are not in; their files here are deleted",
            );
            Ok(ExitCode::SUCCESS)
        }
        CaseworkerCommand::List { server, status } => {
            let overview = api(&server)?
                .overview(status.as_deref())
                .await
                .map_err(failed)?;
            print!("{overview}");
            Ok(ExitCode::SUCCESS)
        }
        CaseworkerCommand::Reseal {
            server,
            identity,
            queue,
        } => {
            let identities = read_identities(&identity)?;
            let count = api(&server)?
                .reseal(&identities, &queue)
                .await
                .map_err(failed)?;
            println!("{count} submission(s) of {queue} re-sealed to its current keys");
            Ok(ExitCode::SUCCESS)
        }
        CaseworkerCommand::Forward {
            server,
            identity,
            case: CaseArgs { id },
            to,
        } => {
            let identities = read_identities(&identity)?;
            let reference = api(&server)?
                .forward(&identities, &id, &to)
                .await
                .map_err(failed)?;
            println!("{reference} forwarded to {to}");
            Ok(ExitCode::SUCCESS)
        }
        CaseworkerCommand::Reply {
            id,
            reference,
            server,
            file,
        } => {
            let reference = id.or(reference).unwrap_or_default();
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            api(&server)?
                .reply(&reference, &text)
                .await
                .map_err(failed)?;
            println!("reply to {reference} sent");
            Ok(ExitCode::SUCCESS)
        }
        CaseworkerCommand::Erase {
            server,
            case: CaseArgs { id },
        } => {
            let reference = api(&server)?.erase(&id).await.map_err(failed)?;
            println!("{reference} erased");
            Ok(ExitCode::SUCCESS)
        }
        CaseworkerCommand::Done {
            server,
            case: CaseArgs { id },
        } => {
            let reference = post_action(&server, &id, "done").await?;
            println!("{reference} marked done");
            Ok(ExitCode::SUCCESS)
        }
        CaseworkerCommand::Take {
            server,
            case: CaseArgs { id },
        } => {
            let reference = post_action(&server, &id, "take").await?;
            println!("{reference} taken: in progress, by you");
            Ok(ExitCode::SUCCESS)
        }
        CaseworkerCommand::Note {
            server,
            case: CaseArgs { id },
            file,
        } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            api(&server)?.add_note(&id, &text).await.map_err(failed)?;
            println!("note added to {id}");
            Ok(ExitCode::SUCCESS)
        }
        CaseworkerCommand::Notes {
            server,
            identity,
            case: CaseArgs { id },
        } => {
            let identities = read_identities(&identity)?;
            let notes = api(&server)?
                .notes(&identities, &id)
                .await
                .map_err(failed)?;
            for (at, author, text) in &notes {
                let at = crate::clock::Timestamp::show_rfc3339_nb(at);
                println!("{at}  {author}\n{}\n", text.trim_end());
            }
            println!("{} note(s)", notes.len());
            Ok(ExitCode::SUCCESS)
        }
        CaseworkerCommand::SubjectAccess {
            server,
            case: CaseArgs { id },
        } => {
            print!(
                "{}",
                api(&server)?.subject_access(&id).await.map_err(failed)?
            );
            Ok(ExitCode::SUCCESS)
        }
        CaseworkerCommand::SubjectErasure {
            server,
            case: CaseArgs { id },
            only,
        } => {
            print!(
                "{}",
                api(&server)?
                    .subject_erasure(&id, &only)
                    .await
                    .map_err(failed)?
            );
            Ok(ExitCode::SUCCESS)
        }
        CaseworkerCommand::Newsletters { server, form } => {
            print!(
                "{}",
                api(&server)?.newsletters(&form).await.map_err(failed)?
            );
            Ok(ExitCode::SUCCESS)
        }
        CaseworkerCommand::Newsletter {
            server,
            form,
            topic,
            subject,
            file,
            test_to,
        } => {
            let body = std::fs::read_to_string(&file)
                .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            if let Some(to) = test_to {
                api(&server)?
                    .newsletter_test(&form, topic.as_deref(), &subject, &body, &to)
                    .await
                    .map_err(failed)?;
                println!("A test of the newsletter is mailed to {to}; no subscriber got it.");
                return Ok(ExitCode::SUCCESS);
            }
            let done = api(&server)?
                .newsletter(&form, topic.as_deref(), &subject, &body, |status| {
                    println!(
                        "{}: mailed to {} of {} subscriber(s){}",
                        status.id,
                        status.sent,
                        status.recipients,
                        if status.failed > 0 {
                            format!(", {} not taken by the mail server", status.failed)
                        } else {
                            String::new()
                        }
                    );
                    if status.finished.is_some() && status.ended > 0 {
                        println!(
                            "{} subscription(s) ended: the mail server refused {} newsletters \
                             in a row at their address for good.",
                            status.ended,
                            crate::newsletter::REFUSALS_TO_END
                        );
                    }
                })
                .await
                .map_err(failed)?;
            println!("Newsletter {} sent: {} mail(s).", done.id, done.sent);
            Ok(if done.failed > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        CaseworkerCommand::Consent {
            server,
            case: CaseArgs { id },
        } => {
            let reference = post_action(&server, &id, "consent").await?;
            println!("{reference}: the citizen's consent to a handover is recorded");
            Ok(ExitCode::SUCCESS)
        }
        CaseworkerCommand::Handover {
            server,
            case: CaseArgs { id },
        } => {
            let reference = post_action(&server, &id, "handover").await?;
            println!("{reference}: handover recorded");
            Ok(ExitCode::SUCCESS)
        }
    }
}
