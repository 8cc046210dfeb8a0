//! 安全提醒: the account holder is told by e-mail when sign-ins on their account were paused or
//! the account was locked after failed attempts. The notices follow the events those writes
//! append (`identity.login.source_blocked`, `identity.account.locked`) with a cursor of their
//! own, so each is sent once; the e-mail channel lives in the binary.

use crate::Identity;
use crate::error::{Result, local, local_minute};
use tongban_db::event::{cursor, last_seq, read_after, save_cursor};
use tongban_kernel::Millis;

/// The cursor over events the notices follow.
const CURSOR: &str = "identity.security_notices";

/// Events read per page.
const PAGE: u32 = 500;

/// One notice to mail to an account's confirmed address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityNotice {
    /// The event it tells of.
    pub seq: i64,
    /// The account.
    pub account: String,
    /// Subject line (both languages).
    pub subject: String,
    /// Text (both languages).
    pub body: String,
}

impl Identity {
    /// Notices of pauses and locks since the last ones sent, at most `limit` events read, with
    /// the position to pass to [`security_notices_sent`](Self::security_notices_sent) once they
    /// are mailed. The first call starts at the present: past pauses are not mailed.
    pub async fn security_notices_to_send(&self, limit: u32) -> Result<(i64, Vec<SecurityNotice>)> {
        let mut at = cursor(&self.db, CURSOR).await?;
        if at == 0 {
            at = last_seq(&self.db).await?;
            let mut tx = self.db.begin_write().await?;
            save_cursor(&mut tx, CURSOR, at).await?;
            tx.commit().await?;
        }
        let mut notices = Vec::new();
        let mut read = 0u32;
        while read < limit {
            let page = read_after(&self.db, at, PAGE.min(limit - read)).await?;
            let Some(last) = page.last() else { break };
            at = last.seq;
            read += page.len() as u32;
            for e in page {
                if let Some(n) = notice_of(&e) {
                    notices.push(n);
                }
            }
        }
        Ok((at, notices))
    }

    /// Records that the notices up to event `seq` were dealt with.
    pub async fn security_notices_sent(&self, seq: i64) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        save_cursor(&mut tx, CURSOR, seq).await?;
        tx.commit().await?;
        Ok(())
    }
}

/// The notice an event calls for, if any.
fn notice_of(e: &tongban_db::Event) -> Option<SecurityNotice> {
    let detail: serde_json::Value = serde_json::from_str(&e.detail).ok()?;
    let username = detail["username"].as_str()?;
    let until = local_minute(Millis(detail["until_ms"].as_i64()?));
    let from = detail["ip"].as_str().unwrap_or("?");
    let at = local(e.at);
    let advice = "如果不是您本人在尝试登录，请尽快修改密码并开启两步验证。\n\
                  If it was not you, change your password and turn on two-step verification.";
    let (subject, text) = match e.action.as_str() {
        "identity.login.source_blocked" => (
            "通办安全提醒：登录尝试已暂停 / Tongban security notice: sign-in attempts paused",
            format!(
                "您的账号 {username} 于 {at} 从地址 {from} 连续多次登录失败，来自该地址的尝试已暂停至 {until}；\
                 您从其他地方仍可正常登录。\nRepeated failed sign-ins on your account {username} from {from} at \
                 {at}: attempts from there are paused until {until}; you can still sign in from elsewhere."
            ),
        ),
        "identity.account.locked" => (
            "通办安全提醒：账号已锁定 / Tongban security notice: account locked",
            format!(
                "您的账号 {username} 于 {at} 因多次登录失败已锁定至 {until}。\nYour account {username} was \
                 locked at {at} until {until} after repeated failed sign-ins."
            ),
        ),
        _ => return None,
    };
    Some(SecurityNotice {
        seq: e.seq,
        account: e.object_id.clone(),
        subject: subject.to_string(),
        body: format!("{text}\n\n{advice}\n"),
    })
}
