//! What verification found: the report, its first problem, and the one-line summary.

use serde::Serialize;
use std::time::Duration;
use tongban_kernel::msg;

/// What is wrong at the first bad seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// 事件被篡改: the event no longer hashes to what was chained (text changed, events swapped).
    EventAltered,
    /// 事件被删除: a chained (or numbered) event is gone.
    EventMissing,
    /// 事件被插入: an event that was never numbered by the platform.
    EventInserted,
    /// 账本记录被篡改: a ledger entry's hashes do not follow from the chain.
    EntryAltered,
    /// 账本记录被删除: an entry is missing from the chain.
    EntryMissing,
    /// 账本记录被插入: an entry for no event.
    EntryInserted,
    /// 检查点不符: a checkpoint's chain hash differs from the recomputed chain (entries before it
    /// were rewritten), or it signs a position that does not exist.
    CheckpointMismatch,
    /// 检查点签名无效: no trusted key verifies the checkpoint's signature.
    CheckpointSignature,
}

impl ProblemKind {
    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            ProblemKind::EventAltered => "事件内容被篡改",
            ProblemKind::EventMissing => "事件被删除",
            ProblemKind::EventInserted => "事件被插入",
            ProblemKind::EntryAltered => "账本记录被篡改",
            ProblemKind::EntryMissing => "账本记录被删除",
            ProblemKind::EntryInserted => "账本记录被插入",
            ProblemKind::CheckpointMismatch => "检查点哈希不符",
            ProblemKind::CheckpointSignature => "检查点签名无效",
        }
    }

    /// The English label.
    pub fn label_en(self) -> &'static str {
        match self {
            ProblemKind::EventAltered => "event altered",
            ProblemKind::EventMissing => "event deleted",
            ProblemKind::EventInserted => "event inserted",
            ProblemKind::EntryAltered => "ledger entry altered",
            ProblemKind::EntryMissing => "ledger entry deleted",
            ProblemKind::EntryInserted => "ledger entry inserted",
            ProblemKind::CheckpointMismatch => "checkpoint does not match the chain",
            ProblemKind::CheckpointSignature => "checkpoint signature invalid",
        }
    }
}

/// The first bad entry found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The sequence number of the bad event, entry or checkpoint (`upto_seq`).
    pub seq: i64,
    /// What is wrong.
    pub kind: ProblemKind,
    /// Specifics for the operator, zh-CN first.
    pub detail: String,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerifyReport {
    /// No problem found.
    pub ok: bool,
    /// Entries checked (up to the problem, when there is one).
    pub entries: u64,
    /// Checkpoints whose hash and signature were checked.
    pub checkpoints: u64,
    /// Events committed but not chained yet.
    pub events_pending: u64,
    /// The first bad entry, by seq.
    pub first_problem: Option<Problem>,
    /// How long verification took.
    pub elapsed: Duration,
}

impl VerifyReport {
    /// One line for the CLI, zh-CN then English.
    pub fn summary(&self) -> String {
        match &self.first_problem {
            None => {
                // Chinese groups thousands with commas here; the English line keeps plain digits.
                let counts = |n: u64| tongban_kernel::Arg::name(grouped(n), n.to_string());
                let (entries, checkpoints) = (counts(self.entries), counts(self.checkpoints));
                if self.events_pending > 0 {
                    let pending = counts(self.events_pending);
                    msg!(
                        "verified-pending",
                        entries = entries,
                        checkpoints = checkpoints,
                        pending = pending
                    )
                } else {
                    msg!("verified", entries = entries, checkpoints = checkpoints)
                }
                .to_string()
            }
            Some(p) => {
                // Exactly one " / " in the line, so a UI can show either half: the detail, written
                // in both languages, gives each its own half.
                msg!(
                    "verification-failed",
                    seq = p.seq,
                    kind = tongban_kernel::Arg::name(p.kind.label_zh(), p.kind.label_en()),
                    detail = tongban_kernel::Msg::from(p.detail.as_str())
                )
                .to_string()
            }
        }
    }
}

/// 12345 → "12,345".
fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(seq: i64, kind: ProblemKind, detail: &str) -> Option<Problem> {
        Some(Problem {
            seq,
            kind,
            detail: detail.into(),
        })
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(12_345), "12,345");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }

    #[test]
    fn summary_names_the_entry() {
        let mut r = VerifyReport {
            ok: true,
            entries: 12_345,
            checkpoints: 124,
            events_pending: 0,
            first_problem: None,
            elapsed: Duration::ZERO,
        };
        assert_eq!(
            r.summary(),
            "账本校验通过：12,345 条记录、124 个签名检查点 / ledger verified: 12345 entries, 124 checkpoints"
        );
        r.ok = false;
        r.first_problem = problem(42, ProblemKind::EventAltered, "内容不同 / differs");
        assert_eq!(
            r.summary(),
            "账本校验失败：第 42 条，事件内容被篡改（内容不同） / ledger verification FAILED at entry 42: event altered (differs)"
        );
        assert_eq!(r.summary().matches(" / ").count(), 1);
    }
}
