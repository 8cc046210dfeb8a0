//! Settings: command-line flags > `TONGBAN_*` environment > `tongban.toml` > defaults.
//! clap resolves flags and environment; the file fills what both left unset.

use anyhow::{Context, Result, bail};
use clap::Args;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Where the data lives (every command takes these).
#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// Data directory: the SQLite database, keys, lake and search index [default: ./tongban-data]
    #[arg(long, env = "TONGBAN_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL: `sqlite://…` or `postgres://user@host/db` [default: SQLite file in the data dir]
    #[arg(long, env = "TONGBAN_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// Keep the data lake on object storage too: `s3://bucket/prefix` (S3 or S3-compatible;
    /// credentials and endpoint from the `AWS_*` environment) or `file:///shared/folder`.
    /// Versions are uploaded before they are recorded; the local lake becomes a cache
    /// [default: the local lake only]
    #[arg(long, env = "TONGBAN_LAKE_URL", global = true)]
    pub lake_url: Option<String>,
    /// Configuration file [default: ./tongban.toml when it exists]
    #[arg(long, env = "TONGBAN_CONFIG", global = true)]
    pub config: Option<PathBuf>,
}

/// How to serve (serve and demo).
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "TONGBAN_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// TLS certificate chain (PEM); serving HTTPS needs this and --tls-key
    #[arg(long, env = "TONGBAN_TLS_CERT")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM)
    #[arg(long, env = "TONGBAN_TLS_KEY")]
    pub tls_key: Option<PathBuf>,
    /// The address people and department systems reach this server at, e.g.
    /// `https://zwfw.example.gov.cn`: the OIDC provider's issuer [default: the listen address]
    #[arg(long, env = "TONGBAN_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Time zone for dates shown to people [default: Asia/Shanghai]
    #[arg(long, env = "TONGBAN_TIME_ZONE")]
    pub time_zone: Option<String>,
    /// Sign a ledger checkpoint after this many events [default: 100]
    #[arg(long, env = "TONGBAN_CHECKPOINT_EVERY")]
    pub checkpoint_every: Option<u32>,
    /// …or after this many seconds with unsigned entries [default: 60]
    #[arg(long, env = "TONGBAN_CHECKPOINT_SECONDS")]
    pub checkpoint_seconds: Option<u64>,
    /// Sign a session out after this many idle minutes [default: 30]
    #[arg(long, env = "TONGBAN_SESSION_IDLE_MINUTES")]
    pub session_idle_minutes: Option<u64>,
    /// Sign a session out this many hours after sign-in, whatever happens [default: 12]
    #[arg(long, env = "TONGBAN_SESSION_HOURS")]
    pub session_hours: Option<u64>,
    /// Largest request body in KiB [default: 1024]
    #[arg(long, env = "TONGBAN_BODY_LIMIT_KIB")]
    pub body_limit_kib: Option<usize>,
    /// Largest file a console data load accepts, in MiB [default: 1024]
    #[arg(long, env = "TONGBAN_UPLOAD_LIMIT_MIB")]
    pub upload_limit_mib: Option<u64>,
    /// Request timeout in seconds [default: 30]
    #[arg(long, env = "TONGBAN_REQUEST_TIMEOUT")]
    pub request_timeout: Option<u64>,
    /// Exchange API calls per second allowed to each department system; bursts of twice that
    /// [default: 200]
    #[arg(long, env = "TONGBAN_EXCHANGE_RATE")]
    pub exchange_rate: Option<u32>,
    /// Send people's notifications by e-mail through this SMTP server:
    /// `smtp://host[:25]` (plain, a relay on the local network), `smtp://host:587?tls=starttls`
    /// or `smtps://host[:465]`, with `user:password@` before the host to sign in (without it,
    /// notifications stay in-app)
    #[arg(long, env = "TONGBAN_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// A PEM file of CA certificates the SMTP server's certificate may chain to, besides the
    /// system's (a government network's own CA)
    #[arg(long, env = "TONGBAN_SMTP_CA")]
    pub smtp_ca: Option<PathBuf>,
    /// The sender of notification e-mails [default: 通办 <noreply@localhost>]
    #[arg(long, env = "TONGBAN_MAIL_FROM")]
    pub mail_from: Option<String>,
    /// A TOML file adding to the reply-quality lists: `vague = ["…"]` (bureaucratic phrases)
    /// and `sensitive = ["…"]` (words flagged in replies and masked in public text)
    #[arg(long, env = "TONGBAN_REPLY_LISTS")]
    pub reply_lists: Option<PathBuf>,
}

/// The `tongban.toml` file: every setting, optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    lake_url: Option<String>,
    listen: Option<SocketAddr>,
    public_url: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    time_zone: Option<String>,
    checkpoint_every: Option<u32>,
    checkpoint_seconds: Option<u64>,
    session_idle_minutes: Option<u64>,
    session_hours: Option<u64>,
    body_limit_kib: Option<usize>,
    upload_limit_mib: Option<u64>,
    request_timeout: Option<u64>,
    exchange_rate: Option<u32>,
    smtp_url: Option<String>,
    smtp_ca: Option<PathBuf>,
    mail_from: Option<String>,
    reply_lists: Option<PathBuf>,
    master_key_file: Option<PathBuf>,
}

/// Resolved storage settings.
#[derive(Debug, Clone)]
pub struct Store {
    /// Data directory.
    pub data_dir: PathBuf,
    /// Database URL.
    pub database_url: String,
    /// The master key, from `TONGBAN_MASTER_KEY` or `master_key_file`, if given.
    pub master_key: Option<String>,
    /// The object store the lake is kept in, if any.
    pub lake_url: Option<String>,
}

/// Resolved serving settings.
#[derive(Debug, Clone)]
pub struct Serve {
    /// Listen address.
    pub listen: SocketAddr,
    /// The public base URL (no trailing slash), the OIDC issuer; the listen address when unset.
    pub public_url: Option<String>,
    /// TLS certificate and key.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Display zone.
    pub time_zone: String,
    /// Checkpoint every N events.
    pub checkpoint_every: u32,
    /// Checkpoint every T seconds.
    pub checkpoint_seconds: u64,
    /// Session idle limit.
    pub session_idle_minutes: u64,
    /// Session absolute limit.
    pub session_hours: u64,
    /// Body limit in bytes.
    pub body_limit: usize,
    /// Console data load limit in bytes.
    pub upload_limit: u64,
    /// Request timeout.
    pub request_timeout: u64,
    /// Exchange calls per second per department system.
    pub exchange_rate: u32,
    /// The SMTP server for notification e-mails, if any.
    pub smtp_url: Option<String>,
    /// Extra CA certificates for the SMTP server's TLS.
    pub smtp_ca: Option<PathBuf>,
    /// The sender of notification e-mails.
    pub mail_from: String,
    /// The maintained additions to the reply-quality lists, if any.
    pub reply_lists: Option<PathBuf>,
}

/// The additions a `--reply-lists` file makes to the built-in reply-quality lists.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyLists {
    #[serde(default)]
    vague: Vec<String>,
    #[serde(default)]
    sensitive: Vec<String>,
}

/// The reply checker: the built-in lists plus what the file at `path` adds.
pub fn reply_checker(path: Option<&Path>) -> Result<tongban_interact::ReplyChecker> {
    let checker = tongban_interact::ReplyChecker::default();
    let Some(path) = path else { return Ok(checker) };
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let lists: ReplyLists = toml::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    Ok(checker
        .with_vague_phrases(lists.vague)
        .with_sensitive_words(lists.sensitive))
}

fn load_file(path: Option<&Path>) -> Result<FileConfig> {
    let (path, required) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("tongban.toml"), false),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).with_context(|| format!("reading {}", path.display())),
        Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => Ok(FileConfig::default()),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// Resolves storage settings (and the file, for serving settings).
pub fn resolve_store(args: &StoreArgs) -> Result<(Store, FileConfig)> {
    let file = load_file(args.config.as_deref())?;
    let data_dir = args
        .data_dir
        .clone()
        .or(file.data_dir.clone())
        .unwrap_or_else(|| PathBuf::from("tongban-data"));
    let database_url = match args.database_url.clone().or(file.database_url.clone()) {
        Some(u) => u,
        None => format!("sqlite://{}", data_dir.join("tongban.db").display()),
    };
    let master_key = match std::env::var("TONGBAN_MASTER_KEY") {
        Ok(k) if !k.trim().is_empty() => Some(k.trim().to_string()),
        _ => match &file.master_key_file {
            Some(p) => Some(
                std::fs::read_to_string(p)
                    .with_context(|| format!("reading master_key_file {}", p.display()))?
                    .trim()
                    .to_string(),
            ),
            None => None,
        },
    };
    Ok((
        Store {
            data_dir,
            database_url,
            master_key,
            lake_url: args
                .lake_url
                .clone()
                .or(file.lake_url.clone())
                .filter(|u| !u.trim().is_empty()),
        },
        file,
    ))
}

/// Resolves serving settings.
pub fn resolve_serve(args: &ServeArgs, file: &FileConfig) -> Result<Serve> {
    let tls = match (
        args.tls_cert.clone().or(file.tls_cert.clone()),
        args.tls_key.clone().or(file.tls_key.clone()),
    ) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => None,
        _ => bail!("--tls-cert and --tls-key must be given together"),
    };
    let listen_default: SocketAddr = ([127, 0, 0, 1], 8080).into();
    let listen = args.listen.or(file.listen).unwrap_or(listen_default);
    let public_url = match args.public_url.clone().or(file.public_url.clone()) {
        Some(u) if u.starts_with("https://") || u.starts_with("http://") => {
            Some(u.trim_end_matches('/').to_string())
        }
        Some(u) => bail!("--public-url must start with https:// or http://: {u}"),
        None => None,
    };
    Ok(Serve {
        listen,
        public_url,
        tls,
        time_zone: args
            .time_zone
            .clone()
            .or(file.time_zone.clone())
            .unwrap_or_else(|| tongban_kernel::time::DEFAULT_ZONE.to_string()),
        checkpoint_every: args
            .checkpoint_every
            .or(file.checkpoint_every)
            .unwrap_or(100)
            .max(1),
        checkpoint_seconds: args
            .checkpoint_seconds
            .or(file.checkpoint_seconds)
            .unwrap_or(60)
            .max(1),
        session_idle_minutes: args
            .session_idle_minutes
            .or(file.session_idle_minutes)
            .unwrap_or(30)
            .max(1),
        session_hours: args.session_hours.or(file.session_hours).unwrap_or(12).max(1),
        body_limit: args.body_limit_kib.or(file.body_limit_kib).unwrap_or(1024).max(1) * 1024,
        upload_limit: args
            .upload_limit_mib
            .or(file.upload_limit_mib)
            .unwrap_or(1024)
            .clamp(1, 1 << 20)
            << 20,
        request_timeout: args.request_timeout.or(file.request_timeout).unwrap_or(30).max(1),
        exchange_rate: args.exchange_rate.or(file.exchange_rate).unwrap_or(200).max(1),
        smtp_url: args
            .smtp_url
            .clone()
            .or(file.smtp_url.clone())
            .filter(|u| !u.trim().is_empty()),
        smtp_ca: args.smtp_ca.clone().or(file.smtp_ca.clone()),
        mail_from: args
            .mail_from
            .clone()
            .or(file.mail_from.clone())
            .unwrap_or_else(|| "通办 <noreply@localhost>".into()),
        reply_lists: args.reply_lists.clone().or(file.reply_lists.clone()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_the_file_and_the_file_beats_defaults() {
        let file: FileConfig = toml::from_str("listen = \"0.0.0.0:9000\"\ncheckpoint_every = 7\n").unwrap();
        let mut args = ServeArgs {
            listen: None,
            public_url: None,
            tls_cert: None,
            tls_key: None,
            time_zone: None,
            checkpoint_every: Some(3),
            checkpoint_seconds: None,
            session_idle_minutes: None,
            session_hours: None,
            body_limit_kib: None,
            upload_limit_mib: None,
            request_timeout: None,
            exchange_rate: None,
            smtp_url: None,
            smtp_ca: None,
            mail_from: None,
            reply_lists: None,
        };
        let s = resolve_serve(&args, &file).unwrap();
        assert_eq!(s.listen.to_string(), "0.0.0.0:9000");
        assert_eq!(s.checkpoint_every, 3);
        assert_eq!(s.checkpoint_seconds, 60);
        args.tls_cert = Some("c.pem".into());
        assert!(resolve_serve(&args, &file).is_err());
    }

    #[test]
    fn reply_lists_add_to_the_built_in_ones_and_bad_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("lists.toml");
        std::fs::write(&good, "vague = [\"原则上同意\"]\nsensitive = [\"蠢货\"]\n").unwrap();
        let checker = reply_checker(Some(&good)).unwrap();
        assert!(checker.sensitive_words().iter().any(|w| w == "蠢货"));
        assert!(
            checker.sensitive_words().iter().any(|w| w == "刁民"),
            "built-in words stay"
        );
        assert!(checker.vague_phrases().iter().any(|w| w == "原则上同意"));
        let bad = dir.path().join("bad.toml");
        std::fs::write(&bad, "sensitve = [\"x\"]\n").unwrap();
        assert!(reply_checker(Some(&bad)).is_err());
        assert!(reply_checker(Some(&dir.path().join("missing.toml"))).is_err());
    }

    #[test]
    fn unknown_file_settings_are_refused() {
        assert!(toml::from_str::<FileConfig>("lisen = \"x\"").is_err());
    }
}
