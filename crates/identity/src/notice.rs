//! 安全提醒: the account holder is told by e-mail when sign-ins on their account were paused or
//! the account was locked after failed attempts. The notices follow the events those writes
//! append (`identity.login.source_blocked`, `identity.account.locked`) with a cursor of their
//! own, so each is sent once; the e-mail channel lives in the binary.
//!
//! Someone guessing from many addresses pauses each of them; the holder is not mailed for
//! every one: at most one pause notice an hour per account (pauses read together make one
//! notice naming their addresses), and the account page lists them all. A lock is always told.
//! Each notice sent is recorded (`identity.security_notice.sent`).

use crate::Identity;
use crate::error::{Result, local, local_minute};
use crate::events::{AccountLocked, LockedBy, SecurityNoticeSent, SourceBlocked};
use std::collections::HashMap;
use tongban_db::event::{COLUMNS, save_cursor};
use tongban_db::{Event, EventDraft, EventKind, Feed, params};
use tongban_kernel::msg;
use tongban_kernel::{Millis, Principal};

/// The cursor over events the notices follow.
const CURSOR: &str = "identity.security_notices";

/// Events read per page.
const PAGE: u32 = 500;

/// Pause notices to one account are at least this far apart.
pub const PAUSE_NOTICE_GAP_MS: i64 = 3600 * 1000;

/// Addresses a pause notice names; more are counted.
const ADDRESSES_NAMED: usize = 5;

/// What a notice tells of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    /// Attempts from one or more addresses were paused.
    Paused,
    /// The account was locked.
    Locked,
}

impl NoticeKind {
    fn code(self) -> &'static str {
        match self {
            NoticeKind::Paused => "paused",
            NoticeKind::Locked => "locked",
        }
    }
}

/// One notice to mail to an account's confirmed address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityNotice {
    /// The (last) event it tells of.
    pub seq: i64,
    /// The account.
    pub account: String,
    /// What it tells of.
    pub kind: NoticeKind,
    /// Subject line (both languages).
    pub subject: String,
    /// Text (both languages).
    pub body: String,
}

impl Identity {
    /// Notices of pauses and locks since the last ones sent, at most `limit` events read, with
    /// the position to pass to [`security_notices_sent`](Self::security_notices_sent) once they
    /// are mailed. The first call starts at the present: past pauses are not mailed.
    #[tracing::instrument(skip_all)]
    pub async fn security_notices_to_send(&self, limit: u32) -> Result<(i64, Vec<SecurityNotice>)> {
        let feed = Feed::new(&self.db, CURSOR)
            .of::<SourceBlocked>()
            .of::<AccountLocked>()
            .batch(PAGE.min(limit.max(1)))
            .from_now();
        let mut at = feed.position().await?;
        let mut seen = Vec::new();
        let mut read = 0usize;
        while read < limit as usize {
            let Some(page) = feed.after(at).await? else { break };
            at = page.upto;
            read += page.events.len();
            for e in &page.events {
                seen.extend(Seen::of(e)?);
            }
        }
        let mut told: HashMap<String, Option<Millis>> = HashMap::new();
        let mut notices: Vec<SecurityNotice> = Vec::new();
        // Pauses waiting to be told, by account: the notice's place in `notices`, and the
        // addresses beyond those it names.
        let mut open: HashMap<String, (usize, Vec<String>)> = HashMap::new();
        for s in seen {
            if s.kind == NoticeKind::Locked {
                notices.push(s.notice(&[]));
                continue;
            }
            if let Some((i, more)) = open.get_mut(&s.account) {
                if !more.contains(&s.from) {
                    more.push(s.from.clone());
                }
                let addresses = more.clone();
                notices[*i] = s.notice(&addresses);
                continue;
            }
            let last = match told.get(&s.account) {
                Some(t) => *t,
                None => {
                    let t = self.last_pause_notice(&s.account).await?;
                    told.insert(s.account.clone(), t);
                    t
                }
            };
            if last.is_some_and(|t| s.at.0 - t.0 < PAUSE_NOTICE_GAP_MS) {
                continue;
            }
            told.insert(s.account.clone(), Some(s.at));
            open.insert(s.account.clone(), (notices.len(), vec![s.from.clone()]));
            notices.push(s.notice(std::slice::from_ref(&s.from)));
        }
        notices.sort_by_key(|n| n.seq);
        Ok((at, notices))
    }

    /// When the account was last mailed a pause notice.
    async fn last_pause_notice(&self, account: &str) -> Result<Option<Millis>> {
        let rows = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {COLUMNS} FROM events WHERE action = $1 AND object_id = $2 \
                     ORDER BY seq DESC LIMIT 50"
                ),
                params![SecurityNoticeSent::ACTION, account],
            )
            .await?;
        for r in rows {
            let e = Event::from_row(&r)?;
            if let Some(sent) = e.read::<SecurityNoticeSent>().transpose()?
                && sent.kind == NoticeKind::Paused.code()
            {
                return Ok(Some(e.at));
            }
        }
        Ok(None)
    }

    /// Records that `notice` was mailed, and that the notices before it were dealt with.
    #[tracing::instrument(skip_all)]
    pub async fn security_notice_sent(&self, notice: &SecurityNotice) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        tx.append_event(
            &Principal::system("mail"),
            EventDraft::of(
                &SecurityNoticeSent {
                    kind: notice.kind.code().into(),
                    event: notice.seq,
                },
                &notice.account,
                None,
                match notice.kind {
                    NoticeKind::Paused => msg!("holder-was-told-e"),
                    NoticeKind::Locked => msg!("holder-was-told-e-2"),
                },
            ),
        )
        .await?;
        save_cursor(&mut tx, CURSOR, notice.seq).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records that the notices up to event `seq` were dealt with.
    #[tracing::instrument(skip_all)]
    pub async fn security_notices_sent(&self, seq: i64) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        save_cursor(&mut tx, CURSOR, seq).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// An event a notice may tell of.
struct Seen {
    seq: i64,
    at: Millis,
    kind: NoticeKind,
    account: String,
    username: String,
    from: String,
    until: Millis,
}

impl Seen {
    /// The pause or lock `e` tells of (`None` for another kind of event).
    fn of(e: &Event) -> Result<Option<Seen>> {
        let seen = |kind, username, ip: Option<String>, until_ms| Seen {
            seq: e.seq,
            at: e.at,
            kind,
            account: e.object_id.clone(),
            username,
            from: ip.unwrap_or_else(|| "?".into()),
            until: Millis(until_ms),
        };
        if let Some(b) = e.read::<SourceBlocked>() {
            let b = b?;
            return Ok(Some(seen(NoticeKind::Paused, b.username, b.ip, b.until_ms)));
        }
        if let Some(l) = e.read::<AccountLocked>() {
            let l = l?;
            // The notices tell of failed attempts: an administrator's lock is not mailed.
            return Ok(match l.by {
                LockedBy::Failures { until_ms, ip, .. } => {
                    Some(seen(NoticeKind::Locked, l.username, ip, until_ms))
                }
                LockedBy::Administrator { .. } => None,
            });
        }
        Ok(None)
    }

    /// The notice telling of this event; a pause names `addresses` (this one's among them).
    fn notice(&self, addresses: &[String]) -> SecurityNotice {
        let Seen { username, .. } = self;
        let until = local_minute(self.until);
        let at = local(self.at);
        let advice = "如果不是您本人在尝试登录，请尽快修改密码并开启两步验证；在“我的账户”中可以看到全部暂停记录。\n\
                      If it was not you, change your password and turn on two-step verification; \
                      My account lists every pause.";
        let (subject, text) = match self.kind {
            NoticeKind::Paused => {
                let named = addresses
                    .iter()
                    .take(ADDRESSES_NAMED)
                    .cloned()
                    .collect::<Vec<_>>();
                let more = addresses.len().saturating_sub(ADDRESSES_NAMED);
                let (zh_from, en_from) = if more > 0 {
                    (
                        format!("{}等{}个地址", named.join("、"), addresses.len()),
                        format!("{} and {more} more addresses", named.join(", ")),
                    )
                } else if named.len() > 1 {
                    (format!("{}等地址", named.join("、")), named.join(", "))
                } else {
                    (format!("地址 {} ", named.join("")), named.join(""))
                };
                (
                    msg!("tongban-security-notice-sign"),
                    format!(
                        "您的账号 {username} 于 {at} 从{zh_from}连续多次登录失败，来自这些地址的尝试已暂停（最晚至 {until}）；\
                         您从其他地方仍可正常登录。\nRepeated failed sign-ins on your account {username} from {en_from} \
                         (last at {at}): attempts from there are paused (until {until} at the latest); you can still sign in from elsewhere."
                    ),
                )
            }
            NoticeKind::Locked => (
                msg!("tongban-security-notice-account"),
                format!(
                    "您的账号 {username} 于 {at} 因多次登录失败已锁定至 {until}。\nYour account {username} was \
                     locked at {at} until {until} after repeated failed sign-ins."
                ),
            ),
        };
        SecurityNotice {
            seq: self.seq,
            account: self.account.clone(),
            kind: self.kind,
            subject: subject.to_string(),
            body: format!("{text}\n\n{advice}\n"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pause_notice_names_five_addresses_and_counts_the_rest() {
        let seen = Seen {
            seq: 9,
            at: Millis(1_780_000_000_000),
            kind: NoticeKind::Paused,
            account: "a".into(),
            username: "guessed".into(),
            from: "203.0.113.7".into(),
            until: Millis(1_780_000_300_000),
        };
        let addresses: Vec<String> = (1..=7).map(|i| format!("203.0.113.{i}")).collect();
        let n = seen.notice(&addresses);
        assert!(
            n.body
                .contains("203.0.113.1、203.0.113.2、203.0.113.3、203.0.113.4、203.0.113.5等7个地址"),
            "{}",
            n.body
        );
        assert!(n.body.contains("203.0.113.5 and 2 more addresses"), "{}", n.body);
        assert!(!n.body.contains("203.0.113.6"), "{}", n.body);
        let one = seen.notice(&addresses[..1]);
        assert!(one.body.contains("从地址 203.0.113.1 连续"), "{}", one.body);
        assert_eq!((one.seq, one.kind), (9, NoticeKind::Paused));
    }
}
