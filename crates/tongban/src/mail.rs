//! Notifications by e-mail (站内消息的邮件通道): when an SMTP relay is configured, `serve` hands
//! every person's new in-app message (from the service hall and from citizen interaction) to the
//! e-mail channel if the account gave an address, and marks it taken either way. A failed send
//! leaves the message for the next round. Only the subject and the text already shown in-app go
//! out; addresses and contents are never logged.

use anyhow::{Context, Result};
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;
use tokio::sync::watch;
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
    /// A channel sending through the relay at `url` (`smtp://host:port`) as `from`.
    pub fn new(url: &str, from: &str) -> Result<Self> {
        let (host, port) = relay(url)?;
        // A relay on the local network, spoken to in plain SMTP (no TLS stack is built in).
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(port)
            .timeout(Some(Duration::from_secs(20)))
            .build();
        let from = from
            .parse()
            .with_context(|| format!("the sender `{from}` is not an e-mail address"))?;
        Ok(Self { transport, from })
    }
}

/// The host and port of `smtp://host[:port]` (port 25 when absent).
fn relay(url: &str) -> Result<(String, u16)> {
    let rest = url
        .trim()
        .strip_prefix("smtp://")
        .context("the SMTP URL should read smtp://host:port")?
        .trim_end_matches('/');
    let (host, port) = match rest.rsplit_once(':') {
        Some((h, p)) => (h, p.parse().context("the SMTP port is not a number")?),
        None => (rest, 25),
    };
    anyhow::ensure!(!host.is_empty(), "the SMTP URL names no host");
    Ok((host.to_string(), port))
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
            subject: "通办邮箱验证码 / Tongban e-mail confirmation code".into(),
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

/// One round: confirmation codes, then both outboxes; returns how many messages were sent.
pub async fn deliver_once(
    hall: &Hall,
    interact: &Interact,
    identity: &Identity,
    channel: &dyn Channel,
) -> Result<usize> {
    let codes = send_codes(identity, channel).await?;
    let (taken, from_hall) = send_batch(identity, channel, hall.undelivered(BATCH).await?).await?;
    hall.mark_delivered(&taken).await?;
    let (taken, from_interact) = send_batch(identity, channel, interact.undelivered(BATCH).await?).await?;
    interact.mark_delivered(&taken).await?;
    Ok(codes + from_hall + from_interact)
}

/// Delivers every `every` until `stop` changes.
pub async fn run(
    hall: Hall,
    interact: Interact,
    identity: Identity,
    channel: SmtpChannel,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => {
                match deliver_once(&hall, &interact, &identity, &channel).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(count = n, "notification e-mails sent"),
                    Err(e) => tracing::warn!(error = %e, "delivering notifications failed"),
                }
            }
            _ = stop.changed() => break,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn relay_urls_name_host_and_port() {
        assert_eq!(
            super::relay("smtp://mail.gov.local:2525").unwrap(),
            ("mail.gov.local".into(), 2525)
        );
        assert_eq!(super::relay("smtp://10.0.0.5").unwrap(), ("10.0.0.5".into(), 25));
        assert!(super::relay("smtps://x:465").is_err());
        assert!(super::relay("smtp://:25").is_err());
        assert!(super::relay("smtp://x:port").is_err());
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
    use tongban_kernel::{Principal, WorkCalendar};

    /// A relay on a loopback port that accepts every message and keeps what it was given.
    async fn relay() -> (u16, Arc<Mutex<Vec<String>>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let keep = got.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let keep = keep.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
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
                    }
                });
            }
        });
        (port, got)
    }

    /// The six-digit code in a mail as the relay kept it (the body may be base64 or
    /// quoted-printable).
    fn code_in(mail: &str) -> String {
        use base64::Engine as _;
        let mut texts = vec![mail.to_string()];
        let body = mail.split_once("\n\n").map_or("", |(_, b)| b);
        let joined: String = body.lines().map(str::trim).collect();
        if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(joined.trim()) {
            texts.push(String::from_utf8_lossy(&bytes).into_owned());
        }
        for t in texts {
            if let Some(at) = t.find("code: ") {
                let digits: String = t[at + 6..].chars().take(6).collect();
                if digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit()) {
                    return digits;
                }
            }
        }
        panic!("no code in {mail}")
    }

    #[tokio::test]
    async fn messages_go_to_people_with_an_address_once_and_wait_while_the_relay_is_down() {
        tongban_db::testing::each_backend(
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
                let down = SmtpChannel::new("smtp://127.0.0.1:1", "通办 <noreply@tongban.local>").unwrap();
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
            },
        )
        .await;
    }
}
