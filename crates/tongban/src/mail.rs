//! Notifications by e-mail (站内消息的邮件通道): when an SMTP relay is configured, `serve` hands
//! every person's new in-app message (from the service hall and from citizen interaction) to the
//! e-mail channel if the account gave an address, and marks it taken either way. A failed send
//! leaves the message for the next round. Only the subject and the text already shown in-app go
//! out; addresses and contents are never logged. Holders are also told of pauses and locks on
//! their accounts after failed sign-ins (安全提醒).

use anyhow::{Context, Result};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::path::Path;
use std::time::Duration;
use tongban_hall::Hall;
use tongban_identity::Identity;
use tongban_interact::Interact;
use tongban_kernel::channel::{Channel, Message, Outgoing, SendFuture};

/// Messages taken from each outbox per round.
const BATCH: u32 = 100;

/// E-mail through an SMTP relay.
pub struct SmtpChannel {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpChannel {
    /// A channel sending through the server at `url` as `from`, trusting the system's CA
    /// certificates and those in the PEM file `ca`, if given. See [`relay`] for the URL forms.
    pub fn new(url: &str, from: &str, ca: Option<&Path>) -> Result<Self> {
        let r = relay(url)?;
        let tls = || -> Result<TlsParameters> {
            let mut params = TlsParameters::builder(r.host.clone());
            if let Some(path) = ca {
                let pem = std::fs::read(path)
                    .with_context(|| format!("cannot read the SMTP CA file {}", path.display()))?;
                let no_cert = || format!("{} holds no PEM certificate", path.display());
                anyhow::ensure!(
                    pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----"),
                    no_cert()
                );
                let cert = Certificate::from_pem(&pem).with_context(no_cert)?;
                params = params.add_root_certificate(cert);
            }
            params.build_rustls().context("cannot set up TLS for SMTP")
        };
        // lettre reads the host, the port (or its default), the protection and the sign-in
        // (percent-decoded) from the URL; the TLS settings are ours, for the CA file.
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(&r.url)
            .map_err(|e| anyhow::anyhow!("the SMTP URL cannot be used: {e}"))?;
        let builder = match r.security {
            // A relay on the local network, spoken to in plain SMTP.
            Security::Plain => builder,
            Security::StartTls => builder.tls(Tls::Required(tls()?)),
            Security::Tls => builder.tls(Tls::Wrapper(tls()?)),
        }
        .timeout(Some(Duration::from_secs(20)));
        let from = from
            .parse()
            .with_context(|| format!("the sender `{from}` is not an e-mail address"))?;
        // Where mail goes, for the operator (never the password).
        tracing::info!(
            host = %r.host,
            port = r.port,
            security = ?r.security,
            signs_in = r.login,
            "e-mail through the SMTP relay"
        );
        Ok(Self {
            transport: builder.build(),
            from,
        })
    }
}

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    /// Plain SMTP (a relay on the local network).
    Plain,
    /// Plain, then STARTTLS before anything is sent; refused if the server does not offer it.
    StartTls,
    /// TLS from the first byte (SMTPS).
    Tls,
}

/// Where and how to reach the SMTP server: what the checks below read from the URL, and the
/// URL as lettre reads it. Not `Debug`: the URL may hold a password.
struct Relay {
    host: String,
    port: u16,
    security: Security,
    /// Whether the URL signs in (`user:password@`).
    login: bool,
    /// The URL with STARTTLS spelt as lettre spells it (`?tls=required`) and no path (lettre
    /// would send a path as the HELO name).
    url: String,
}

/// Reads `smtp://[user:password@]host[:port][?tls=starttls]` (port 25, or 587 with STARTTLS)
/// and `smtps://[user:password@]host[:port]` (port 465); the user and password are
/// percent-encoded (`%40` for `@`). A password is only sent over TLS. Errors never repeat the
/// URL, which may hold a password.
fn relay(text: &str) -> Result<Relay> {
    let mut url =
        reqwest::Url::parse(text.trim()).map_err(|e| anyhow::anyhow!("the SMTP URL cannot be read: {e}"))?;
    let implicit = match url.scheme() {
        "smtps" => true,
        "smtp" => false,
        _ => anyhow::bail!("the SMTP URL should start with smtp:// or smtps://"),
    };
    let starttls = match url.query().unwrap_or_default() {
        "" => false,
        "tls=starttls" | "tls=required" => true,
        _ => anyhow::bail!("the SMTP URL's only option is ?tls=starttls"),
    };
    anyhow::ensure!(
        !(implicit && starttls),
        "smtps:// is TLS already; ?tls=starttls goes with smtp://"
    );
    let security = match (implicit, starttls) {
        (true, _) => Security::Tls,
        (false, true) => Security::StartTls,
        (false, false) => Security::Plain,
    };
    let login = url.password().is_some();
    anyhow::ensure!(
        login || url.username().is_empty(),
        "the SMTP sign-in should read user:password@"
    );
    anyhow::ensure!(
        !(login && security == Security::Plain),
        "a password is only sent over TLS: use smtps:// or ?tls=starttls"
    );
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .context("the SMTP URL names no host")?
        .to_string();
    let port = url.port().unwrap_or(match security {
        Security::Plain => 25,
        Security::StartTls => 587,
        Security::Tls => 465,
    });
    url.set_query(starttls.then_some("tls=required"));
    url.set_path("");
    Ok(Relay {
        host,
        port,
        security,
        login,
        url: url.into(),
    })
}

impl Channel for SmtpChannel {
    fn name(&self) -> &'static str {
        "email"
    }

    fn send<'a>(&'a self, message: &'a Message) -> SendFuture<'a> {
        Box::pin(async move {
            let to: Mailbox = message
                .to
                .parse()
                .map_err(|_| "not an e-mail address".to_string())?;
            let email = lettre::Message::builder()
                .from(self.from.clone())
                .to(to)
                .subject(message.subject.clone())
                .header(ContentType::TEXT_PLAIN)
                .body(message.body.clone())
                .map_err(|e| e.to_string())?;
            self.transport
                .send(email)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        })
    }
}

/// Sends what `batch` holds to the people with an address; returns the ids taken (sent or
/// without an address) and how many were sent. Stops at the first failure, keeping the rest.
async fn send_batch(
    identity: &Identity,
    channel: &dyn Channel,
    batch: Vec<Outgoing>,
) -> Result<(Vec<String>, usize)> {
    let mut taken = Vec::new();
    let mut sent = 0;
    for m in batch {
        if let Some(to) = identity.email_of(&m.account).await? {
            let message = Message {
                to,
                subject: m.subject,
                body: m.body,
            };
            if let Err(e) = channel.send(&message).await {
                tracing::warn!(channel = channel.name(), error = %e, "sending a notification failed; it will be retried");
                break;
            }
            sent += 1;
        }
        taken.push(m.id);
    }
    Ok((taken, sent))
}

/// Mails a confirmation code to each address that awaits one; returns how many were sent. A
/// code whose mail fails is dropped, so the next round makes a new one.
async fn send_codes(identity: &Identity, channel: &dyn Channel) -> Result<usize> {
    let mut sent = 0;
    for c in identity.email_codes_to_send(BATCH).await? {
        let message = Message {
            to: c.email.clone(),
            subject: tongban_kernel::msg!("email-code-subject").to_string(),
            body: format!(
                "您的邮箱验证码：{code}\n请在30分钟内到“我的账户”输入，确认后才会向此邮箱发送通知。\n\n\
                 Your confirmation code: {code}\nEnter it under My account within 30 minutes; \
                 notifications are e-mailed only once the address is confirmed.\n",
                code = c.code
            ),
        };
        if let Err(e) = channel.send(&message).await {
            tracing::warn!(channel = channel.name(), error = %e, "sending a confirmation code failed; a new one will be sent");
            identity.forget_email_code(&c.account).await?;
            break;
        }
        sent += 1;
    }
    Ok(sent)
}

/// Tells account holders by e-mail of pauses and locks on their accounts; returns how many
/// were sent, each recorded. A failed send keeps the notice (and those after it) for the next
/// round; a notice of pauses from several addresses retried that way names those from its
/// own event on.
async fn send_notices(identity: &Identity, channel: &dyn Channel) -> Result<usize> {
    let (upto, notices) = identity.security_notices_to_send(2_000).await?;
    let mut sent = 0;
    for n in notices {
        // One account whose address cannot be read does not hold up the others.
        let to = match identity.email_of(&n.account).await {
            Ok(to) => to,
            Err(e) => {
                tracing::warn!(error = %e, "the address of a security notice could not be read; skipped");
                None
            }
        };
        if let Some(to) = to {
            let message = Message {
                to,
                subject: n.subject.clone(),
                body: n.body.clone(),
            };
            if let Err(e) = channel.send(&message).await {
                tracing::warn!(channel = channel.name(), error = %e, "sending a security notice failed; it will be retried");
                identity.security_notices_sent(n.seq - 1).await?;
                return Ok(sent);
            }
            identity.security_notice_sent(&n).await?;
            sent += 1;
        }
    }
    identity.security_notices_sent(upto).await?;
    Ok(sent)
}

/// One round: confirmation codes, security notices, then both outboxes; returns how many
/// messages were sent.
pub async fn deliver_once(
    hall: &Hall,
    interact: &Interact,
    identity: &Identity,
    channel: &dyn Channel,
) -> Result<usize> {
    let codes = send_codes(identity, channel).await? + send_notices(identity, channel).await?;
    let (taken, from_hall) = send_batch(identity, channel, hall.undelivered(BATCH).await?).await?;
    hall.mark_delivered(&taken).await?;
    let (taken, from_interact) = send_batch(identity, channel, interact.undelivered(BATCH).await?).await?;
    interact.mark_delivered(&taken).await?;
    Ok(codes + from_hall + from_interact)
}

/// E-mail delivery as a background job: a [`deliver_once`] each time.
pub struct Mail {
    pub hall: Hall,
    pub interact: Interact,
    pub identity: Identity,
    pub channel: SmtpChannel,
}

impl tongban_kernel::worker::Job for Mail {
    fn name(&self) -> &'static str {
        "mail"
    }

    async fn round(&self) -> std::result::Result<usize, String> {
        deliver_once(&self.hall, &self.interact, &self.identity, &self.channel)
            .await
            .map_err(|e| format!("{e:#}"))
    }
}

#[cfg(test)]
mod tests {
    use super::{Security, relay};

    /// What a URL says: host, port, protection and whether it signs in.
    fn read(url: &str) -> (String, u16, Security, bool) {
        let r = relay(url).unwrap();
        (r.host, r.port, r.security, r.login)
    }

    #[test]
    fn relay_urls_name_host_port_protection_and_sign_in() {
        let at = |h: &str, p, s, l| (h.to_string(), p, s, l);
        assert_eq!(
            read("smtp://mail.gov.local:2525"),
            at("mail.gov.local", 2525, Security::Plain, false)
        );
        assert_eq!(
            read("smtp://10.0.0.5"),
            at("10.0.0.5", 25, Security::Plain, false)
        );
        assert_eq!(
            read("smtp://mail.gov.local?tls=starttls"),
            at("mail.gov.local", 587, Security::StartTls, false)
        );
        assert_eq!(
            read("smtps://notice%40gov.cn:p%40ss:word@mail.gov.cn"),
            at("mail.gov.cn", 465, Security::Tls, true)
        );
        // lettre is given STARTTLS as it spells it, and no path to send as the HELO name.
        let r = relay(" smtp://u:p@mail.gov.local/x?tls=starttls ").unwrap();
        assert_eq!(r.url, "smtp://u:p@mail.gov.local?tls=required");
        for bad in [
            "http://x:25",
            "smtp://:25",
            "smtp://x:port",
            "smtp://x?tls=maybe",
            "smtps://x?tls=starttls",
            "smtps://user@x",
        ] {
            assert!(relay(bad).is_err(), "{bad}");
        }
        // A password never goes out in clear, and the refusal does not repeat it.
        let e = relay("smtp://user:hunter2@x").err().unwrap().to_string();
        assert!(e.contains("TLS") && !e.contains("hunter2"), "{e}");
        let e = relay("smtp://user:hunter2@x:port?tls=starttls")
            .err()
            .unwrap()
            .to_string();
        assert!(!e.contains("hunter2"), "{e}");
    }
}

#[cfg(test)]
mod delivery {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tongban_crypto::Keyring;
    use tongban_identity::{CitizenRegistration, SessionPolicy};
    use tongban_interact::{Channel as Via, ContactInput, NewCategory, NewItem};
    use tongban_kernel::{Millis, Principal, WorkCalendar};

    /// What a relay was given: each message, and each AUTH line.
    type Kept = Arc<Mutex<Vec<String>>>;

    /// Speaks enough SMTP on `socket` to take messages (offering AUTH PLAIN) and keeps them.
    async fn converse<S>(socket: S, keep: Kept, auth: Kept)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        let (read, mut write) = tokio::io::split(socket);
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 relay ready\r\n").await.unwrap();
        let mut data: Option<String> = None;
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(body) = data.as_mut() {
                if line == "." {
                    keep.lock().unwrap().push(data.take().unwrap_or_default());
                    write.write_all(b"250 queued\r\n").await.unwrap();
                } else {
                    body.push_str(&line);
                    body.push('\n');
                }
                continue;
            }
            let verb = line
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            let reply: &[u8] = match verb.as_str() {
                "EHLO" => b"250-relay\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
                "AUTH" => {
                    auth.lock().unwrap().push(line.clone());
                    b"235 accepted\r\n"
                }
                "DATA" => {
                    data = Some(String::new());
                    b"354 go ahead\r\n"
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await.unwrap();
                    break;
                }
                _ => b"250 ok\r\n",
            };
            write.write_all(reply).await.unwrap();
            write.flush().await.unwrap();
        }
    }

    /// A relay on a loopback port that accepts every message and keeps what it was given;
    /// with `tls`, it speaks SMTPS with the test certificate for `localhost`.
    async fn serve_relay(tls: Option<tokio_rustls::TlsAcceptor>) -> (u16, Kept, Kept) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Kept::default();
        let auth = Kept::default();
        let (keep, keep_auth) = (got.clone(), auth.clone());
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let (keep, keep_auth, tls) = (keep.clone(), keep_auth.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        // A client that does not trust the certificate hangs up here.
                        Some(acceptor) => {
                            if let Ok(stream) = acceptor.accept(socket).await {
                                converse(stream, keep, keep_auth).await;
                            }
                        }
                        None => converse(socket, keep, keep_auth).await,
                    }
                });
            }
        });
        (port, got, auth)
    }

    async fn relay() -> (u16, Kept) {
        let (port, got, _) = serve_relay(None).await;
        (port, got)
    }

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../web/tests/fixtures")
            .join(name)
    }

    fn acceptor() -> tokio_rustls::TlsAcceptor {
        use tokio_rustls::rustls;
        let certs = rustls_pemfile::certs(&mut std::fs::read(fixture("test-cert.pem")).unwrap().as_slice())
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key =
            rustls_pemfile::private_key(&mut std::fs::read(fixture("test-key.pem")).unwrap().as_slice())
                .unwrap()
                .unwrap();
        let config =
            rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .unwrap();
        tokio_rustls::TlsAcceptor::from(Arc::new(config))
    }

    #[tokio::test]
    async fn over_smtps_the_server_certificate_is_checked_and_the_sign_in_sent_inside_tls() {
        let (port, got, auth) = serve_relay(Some(acceptor())).await;
        let message = Message {
            to: "zhang@example.cn".into(),
            subject: "办件进展".into(),
            body: "您的办件已受理。".into(),
        };
        // The sign-in is percent-encoded in the URL; lettre decodes it.
        let url = format!("smtps://notice%40gov.cn:s3%3Acret@localhost:{port}");
        let from = "通办 <noreply@tongban.local>";
        // Not trusting the test CA, the channel refuses the server and sends nothing.
        let untrusting = SmtpChannel::new(&url, from, None).unwrap();
        assert!(untrusting.send(&message).await.is_err());
        assert!(got.lock().unwrap().is_empty() && auth.lock().unwrap().is_empty());
        // Given the CA, it signs in and delivers.
        let trusting = SmtpChannel::new(&url, from, Some(&fixture("ca-cert.pem"))).unwrap();
        trusting.send(&message).await.unwrap();
        assert_eq!(got.lock().unwrap().len(), 1);
        let line = auth.lock().unwrap()[0].clone();
        use base64::Engine as _;
        let plain = line.rsplit(' ').next().unwrap();
        let decoded = base64::engine::general_purpose::STANDARD.decode(plain).unwrap();
        assert_eq!(decoded, b"\0notice@gov.cn\0s3:cret");
        // A CA file that is not one is named.
        let err = SmtpChannel::new(&url, from, Some(&fixture("README.md")))
            .err()
            .unwrap();
        assert!(err.to_string().contains("README.md"), "{err}");
    }

    /// The six-digit code in a mail as the relay kept it (the body may be base64 or
    /// quoted-printable).
    fn code_in(mail: &str) -> String {
        for t in texts_of(mail) {
            if let Some(at) = t.find("code: ") {
                let digits: String = t[at + 6..].chars().take(6).collect();
                if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()) {
                    return digits;
                }
            }
        }
        panic!("no code in {mail}")
    }

    /// A mail as the relay kept it, and its body decoded when it is base64.
    fn texts_of(mail: &str) -> Vec<String> {
        use base64::Engine as _;
        let mut texts = vec![mail.to_string()];
        let body = mail.split_once("\n\n").map_or("", |(_, b)| b);
        let joined: String = body.lines().map(str::trim).collect();
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(joined.trim()) {
            texts.push(String::from_utf8_lossy(&bytes).into_owned());
        }
        texts
    }

    #[tokio::test]
    async fn messages_go_to_people_with_an_address_once_and_wait_while_the_relay_is_down() {
        tongban_test_support::each_backend(
            &[
                tongban_identity::MIGRATIONS,
                tongban_interact::MIGRATIONS,
                tongban_hall::MIGRATIONS,
            ],
            |db| async move {
                let keys = Keyring::ephemeral();
                let identity = Identity::new(db.clone(), keys.fields(), SessionPolicy::default());
                let interact = Interact::new(db.clone(), keys.fields(), WorkCalendar::bundled());
                let hall = Hall::new(
                    db.clone(),
                    keys.fields(),
                    WorkCalendar::bundled(),
                    Arc::new(tongban_hall::StaticDirectory::default()),
                );
                let sys = Principal::system("test");
                interact
                    .add_category(
                        &sys,
                        NewCategory {
                            code: "other".into(),
                            name_zh: "其他".into(),
                            name_en: "Other".into(),
                        },
                    )
                    .await
                    .unwrap();
                let mut people = Vec::new();
                for (username, id) in [
                    ("with_mail", "11010519491231002X"),
                    ("no_mail", "990101199003071237"),
                ] {
                    identity
                        .register_citizen(
                            &sys,
                            CitizenRegistration {
                                username: username.into(),
                                password: "Tongban-Test-2026!".into(),
                                real_name: "张三".into(),
                                id_number: id.into(),
                                phone: None,
                                display_name: None,
                                is_demo: false,
                            },
                        )
                        .await
                        .unwrap();
                    people.push(identity.principal_for_username(username).await.unwrap());
                }
                assert!(identity.set_email(&people[0], "zhang@Example.CN").await.is_ok());
                assert!(matches!(
                    identity.set_email(&people[0], "not an address").await,
                    Err(tongban_identity::Error::Invalid(i)) if i.field == "email"
                ));
                // Not used until confirmed with the code mailed to it.
                assert_eq!(identity.email_of(&people[0].id).await.unwrap(), None);
                let (port, got) = relay().await;
                let up = SmtpChannel::new(
                    &format!("smtp://127.0.0.1:{port}"),
                    "通办 <noreply@tongban.local>",
                    None,
                )
                .unwrap();
                assert_eq!(deliver_once(&hall, &interact, &identity, &up).await.unwrap(), 1);
                let code = code_in(&got.lock().unwrap()[0]);
                let wrong = if code == "000000" { "111111" } else { "000000" };
                assert!(matches!(
                    identity.confirm_email(&people[0], wrong).await,
                    Err(tongban_identity::Error::Invalid(i)) if i.field == "code"
                ));
                identity.confirm_email(&people[0], &code).await.unwrap();
                got.lock().unwrap().clear();
                assert_eq!(
                    identity.email_of(&people[0].id).await.unwrap().as_deref(),
                    Some("zhang@example.cn")
                );
                let ask = |title: &str| NewItem {
                    kind: tongban_interact::ItemKind::Inquiry,
                    category: "other".into(),
                    title: title.into(),
                    text: "请问办理居住证需要哪些材料？".into(),
                    location: None,
                    public: false,
                    contact: ContactInput::default(),
                    channel: Via::Portal,
                    source_key: None,
                };
                // The person without an address asks first: their message is taken without
                // sending; the relay being down stops the round at the next one.
                for p in people.iter().rev() {
                    interact.submit(p, ask("居住证材料")).await.unwrap();
                }

                // The relay is down: nothing is taken for the person with an address.
                let down =
                    SmtpChannel::new("smtp://127.0.0.1:1", "通办 <noreply@tongban.local>", None).unwrap();
                deliver_once(&hall, &interact, &identity, &down).await.unwrap();
                let waiting = interact.undelivered(10).await.unwrap();
                assert_eq!(
                    waiting.len(),
                    1,
                    "the message to the person with an address waits"
                );
                assert_eq!(waiting[0].account, people[0].id);

                assert_eq!(deliver_once(&hall, &interact, &identity, &up).await.unwrap(), 1);
                assert_eq!(
                    deliver_once(&hall, &interact, &identity, &up).await.unwrap(),
                    0,
                    "sent once"
                );
                let mails = got.lock().unwrap().clone();
                assert_eq!(mails.len(), 1);
                assert!(
                    mails[0].contains("zhang@example.cn") && mails[0].contains("noreply@tongban.local"),
                    "{}",
                    mails[0]
                );
                assert!(interact.undelivered(10).await.unwrap().is_empty());

                // Five failed sign-ins from one address pause it: the holder is told, once.
                got.lock().unwrap().clear();
                for _ in 0..5 {
                    let ctx = tongban_identity::LoginContext {
                        ip: Some("203.0.113.9".into()),
                        user_agent: None,
                    };
                    let _ = identity.login("with_mail", "Wrong-Password-1", ctx).await;
                }
                assert_eq!(deliver_once(&hall, &interact, &identity, &up).await.unwrap(), 1);
                assert_eq!(
                    deliver_once(&hall, &interact, &identity, &up).await.unwrap(),
                    0,
                    "told once"
                );
                let mail = got.lock().unwrap()[0].clone();
                let text = texts_of(&mail).join("\n");
                assert!(mail.contains("zhang@example.cn"), "{mail}");
                assert!(
                    text.contains("203.0.113.9") && text.contains("暂停") && text.contains("paused"),
                    "{text}"
                );

                // Guessing from more addresses within the hour pauses each, but mails nothing
                // more: one pause notice an hour per account. Each one sent is recorded.
                let fail_from = |ip: &'static str| {
                    let identity = identity.clone();
                    async move {
                        for _ in 0..5 {
                            let ctx = tongban_identity::LoginContext {
                                ip: Some(ip.into()),
                                user_agent: None,
                            };
                            let _ = identity.login("with_mail", "Wrong-Password-1", ctx).await;
                        }
                    }
                };
                // (Two: twenty failures in a row from all addresses would lock the account.)
                for ip in ["198.51.100.1", "198.51.100.2"] {
                    fail_from(ip).await;
                    assert_eq!(
                        deliver_once(&hall, &interact, &identity, &up).await.unwrap(),
                        0,
                        "no second pause notice within the hour"
                    );
                }
                let recorded = db
                    .fetch_all(
                        "SELECT detail FROM events WHERE action = 'identity.security_notice.sent'",
                        vec![],
                    )
                    .await
                    .unwrap();
                assert_eq!(recorded.len(), 1);
            },
        )
        .await;
    }

    #[tokio::test]
    async fn pauses_read_together_make_one_notice_naming_their_addresses_and_an_hour_later_another() {
        tongban_test_support::each_backend(&[tongban_identity::MIGRATIONS], |db| async move {
            let keys = Keyring::ephemeral();
            let identity = Identity::new(db.clone(), keys.fields(), SessionPolicy::default());
            let sys = Principal::system("test");
            identity
                .register_citizen(
                    &sys,
                    CitizenRegistration {
                        username: "guessed".into(),
                        password: "Tongban-Test-2026!".into(),
                        real_name: "李四".into(),
                        id_number: "11010519491231002X".into(),
                        phone: None,
                        display_name: None,
                        is_demo: false,
                    },
                )
                .await
                .unwrap();
            // Never run before: a saved position starts now; events before are not mailed.
            let (start, none) = identity.security_notices_to_send(100).await.unwrap();
            assert!(none.is_empty());
            let fail_from = |ip: String| {
                let identity = identity.clone();
                async move {
                    for _ in 0..5 {
                        let ctx = tongban_identity::LoginContext {
                            ip: Some(ip.clone()),
                            user_agent: None,
                        };
                        let _ = identity.login("guessed", "Wrong-Password-1", ctx).await;
                    }
                }
            };
            for i in 1..=3 {
                fail_from(format!("203.0.113.{i}")).await;
            }
            let (upto, notices) = identity.security_notices_to_send(1_000).await.unwrap();
            assert!(upto > start);
            assert_eq!(notices.len(), 1, "{notices:?}");
            let n = &notices[0];
            assert_eq!(n.kind, tongban_identity::NoticeKind::Paused);
            assert!(
                n.body.contains("203.0.113.1、203.0.113.2、203.0.113.3等地址")
                    && n.body
                        .contains("from 203.0.113.1, 203.0.113.2, 203.0.113.3 (last at"),
                "{}",
                n.body
            );
            identity.security_notice_sent(n).await.unwrap();
            identity.security_notices_sent(upto).await.unwrap();
            // An hour after the notice, a new pause is told again.
            let later = Millis(Millis::now().0 - tongban_identity::PAUSE_NOTICE_GAP_MS - 1);
            let mut tx = db.begin_write().await.unwrap();
            tx.execute(
                "UPDATE events SET at_ms = $1 WHERE action = 'identity.security_notice.sent'",
                tongban_db::params![later],
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            // (The holder signs in meanwhile, so the failures in a row start again.)
            let ctx = tongban_identity::LoginContext {
                ip: Some("192.0.2.1".into()),
                user_agent: None,
            };
            identity
                .login("guessed", "Tongban-Test-2026!", ctx)
                .await
                .unwrap();
            fail_from("203.0.113.99".into()).await;
            let (_, again) = identity.security_notices_to_send(1_000).await.unwrap();
            assert_eq!(again.len(), 1, "{again:?}");
            assert!(again[0].body.contains("地址 203.0.113.99 "), "{}", again[0].body);
        })
        .await;
    }
}
