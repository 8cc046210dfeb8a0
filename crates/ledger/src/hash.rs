//! The chain's hashing, exactly as the crate documentation specifies it: canonical event bytes,
//! event hash, chain step, genesis and the signed checkpoint message. Pure functions, so an
//! auditor's re-implementation can be checked against these.

use tongban_crypto::{Digest, Sm3, sm3};
use tongban_db::{Event, Value};
use tongban_kernel::Millis;

/// A 32-byte SM3 digest.
pub type Digest32 = [u8; 32];

/// The bytes whose SM3 digest is `chain_0`.
pub const GENESIS_LABEL: &[u8] = b"tongban-ledger-v1";

/// The prefix of every signed checkpoint message.
pub const CHECKPOINT_LABEL: &[u8] = b"tongban-ledger-checkpoint-v1";

/// `chain_0 = SM3("tongban-ledger-v1")`.
pub fn genesis() -> Digest32 {
    sm3(GENESIS_LABEL)
}

fn put_int(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(&v.to_be_bytes());
}

fn put_text(out: &mut Vec<u8>, s: &str) {
    // usize → u64 never truncates on the platforms Rust supports.
    out.extend_from_slice(&(s.len() as u64).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_opt_text(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_text(out, s);
        }
    }
}

/// Appends the canonical bytes of `e` to `out` (see the crate documentation).
pub fn canonical_event_bytes(e: &Event, out: &mut Vec<u8>) {
    put_int(out, e.seq);
    put_text(out, &e.id);
    put_int(out, e.at.0);
    put_text(out, &e.actor_kind);
    put_text(out, &e.actor_id);
    put_text(out, &e.actor_name);
    put_opt_text(out, e.actor_dept.as_deref());
    put_text(out, &e.action);
    put_text(out, &e.object_type);
    put_text(out, &e.object_id);
    put_opt_text(out, e.object_dept.as_deref());
    put_text(out, &e.summary);
    put_text(out, &e.detail);
}

/// `event_hash = SM3(canonical bytes)`.
pub fn event_hash(e: &Event) -> Digest32 {
    let mut buf = Vec::with_capacity(256);
    canonical_event_bytes(e, &mut buf);
    sm3(&buf)
}

/// `chain_n = SM3(chain_{n-1} || event_hash_n || seq_n)`.
pub fn chain_next(prev: &Digest32, event_hash: &Digest32, seq: i64) -> Digest32 {
    let mut h = Sm3::new();
    h.update(prev);
    h.update(event_hash);
    h.update(seq.to_be_bytes());
    h.finalize().into()
}

/// The message the platform key signs for a checkpoint at `upto_seq`.
pub fn checkpoint_message(upto_seq: i64, chain_hash: &Digest32, signed: Millis) -> Vec<u8> {
    let mut m = Vec::with_capacity(CHECKPOINT_LABEL.len() + 48);
    m.extend_from_slice(CHECKPOINT_LABEL);
    m.extend_from_slice(&upto_seq.to_be_bytes());
    m.extend_from_slice(chain_hash);
    m.extend_from_slice(&signed.0.to_be_bytes());
    m
}

/// Decodes a stored 64-character hex digest; `None` when it is not one.
pub fn parse_digest(hex_text: &str) -> Option<Digest32> {
    let mut d = [0u8; 32];
    hex::decode_to_slice(hex_text, &mut d).ok()?;
    Some(d)
}

/// The kind each `events` column must have, in [`tongban_db::event::COLUMNS`] order.
#[derive(Clone, Copy)]
enum Kind {
    Int,
    Text,
    OptText,
}

const ROW_LAYOUT: [(&str, Kind); 13] = [
    ("seq", Kind::Int),
    ("id", Kind::Text),
    ("at_ms", Kind::Int),
    ("actor_kind", Kind::Text),
    ("actor_id", Kind::Text),
    ("actor_name", Kind::Text),
    ("actor_dept", Kind::OptText),
    ("action", Kind::Text),
    ("object_type", Kind::Text),
    ("object_id", Kind::Text),
    ("object_dept", Kind::OptText),
    ("summary", Kind::Text),
    ("detail", Kind::Text),
];

/// Appends the canonical bytes of an event row selected with `COLUMNS` (first 13 values) without
/// copying its strings. `Err(column)` names a column holding a value of the wrong type, which
/// only tampering can produce.
pub(crate) fn canonical_row_bytes(values: &[Value], out: &mut Vec<u8>) -> Result<(), &'static str> {
    for (i, (name, kind)) in ROW_LAYOUT.iter().enumerate() {
        match (kind, values.get(i)) {
            (Kind::Int, Some(Value::Int(v))) => put_int(out, *v),
            (Kind::Text, Some(Value::Text(s))) => put_text(out, s),
            (Kind::OptText, Some(Value::Text(s))) => put_opt_text(out, Some(s)),
            (Kind::OptText, Some(Value::Null)) => put_opt_text(out, None),
            _ => return Err(name),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Event {
        Event {
            seq: 7,
            id: "0190-abc".into(),
            at: Millis(1_700_000_000_000),
            actor_kind: "user".into(),
            actor_id: "u1".into(),
            actor_name: "zhang3".into(),
            actor_dept: Some("/3301/GA/".into()),
            action: "identity.account.created".into(),
            object_type: "account".into(),
            object_id: "a1".into(),
            object_dept: None,
            summary: "创建账号 / created".into(),
            detail: "{\"n\":1}".into(),
        }
    }

    fn as_row(e: &Event) -> Vec<Value> {
        let opt = |s: &Option<String>| s.clone().map_or(Value::Null, Value::Text);
        vec![
            Value::Int(e.seq),
            Value::Text(e.id.clone()),
            Value::Int(e.at.0),
            Value::Text(e.actor_kind.clone()),
            Value::Text(e.actor_id.clone()),
            Value::Text(e.actor_name.clone()),
            opt(&e.actor_dept),
            Value::Text(e.action.clone()),
            Value::Text(e.object_type.clone()),
            Value::Text(e.object_id.clone()),
            opt(&e.object_dept),
            Value::Text(e.summary.clone()),
            Value::Text(e.detail.clone()),
        ]
    }

    #[test]
    fn genesis_is_sm3_of_the_label() {
        assert_eq!(genesis(), sm3(b"tongban-ledger-v1"));
    }

    #[test]
    fn row_and_event_serialise_identically() {
        let e = sample();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        canonical_event_bytes(&e, &mut a);
        canonical_row_bytes(&as_row(&e), &mut b).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn canonical_bytes_are_spelled_out_in_the_docs() {
        let e = sample();
        let mut by_hand = Vec::new();
        let text = |v: &mut Vec<u8>, s: &str| {
            v.extend_from_slice(&(s.len() as u64).to_be_bytes());
            v.extend_from_slice(s.as_bytes());
        };
        by_hand.extend_from_slice(&7i64.to_be_bytes());
        text(&mut by_hand, "0190-abc");
        by_hand.extend_from_slice(&1_700_000_000_000i64.to_be_bytes());
        text(&mut by_hand, "user");
        text(&mut by_hand, "u1");
        text(&mut by_hand, "zhang3");
        by_hand.push(1);
        text(&mut by_hand, "/3301/GA/");
        text(&mut by_hand, "identity.account.created");
        text(&mut by_hand, "account");
        text(&mut by_hand, "a1");
        by_hand.push(0);
        text(&mut by_hand, "创建账号 / created");
        text(&mut by_hand, "{\"n\":1}");
        let mut ours = Vec::new();
        canonical_event_bytes(&e, &mut ours);
        assert_eq!(ours, by_hand);
        assert_eq!(event_hash(&e), sm3(&by_hand));

        let mut link = Vec::new();
        link.extend_from_slice(&genesis());
        link.extend_from_slice(&event_hash(&e));
        link.extend_from_slice(&7i64.to_be_bytes());
        assert_eq!(chain_next(&genesis(), &event_hash(&e), 7), sm3(&link));
    }

    #[test]
    fn moving_text_between_fields_changes_the_hash() {
        let a = sample();
        let mut b = sample();
        b.actor_id = "u1zhang3".into();
        b.actor_name = String::new();
        assert_ne!(event_hash(&a), event_hash(&b));
        let mut c = sample();
        c.actor_dept = None;
        let mut d = sample();
        d.actor_dept = Some(String::new());
        assert_ne!(event_hash(&c), event_hash(&d));
    }

    #[test]
    fn a_wrongly_typed_column_is_named() {
        let mut row = as_row(&sample());
        row[2] = Value::Text("yesterday".into());
        assert_eq!(canonical_row_bytes(&row, &mut Vec::new()), Err("at_ms"));
        row.truncate(5);
        assert!(canonical_row_bytes(&row, &mut Vec::new()).is_err());
    }

    #[test]
    fn checkpoint_message_is_76_bytes() {
        let m = checkpoint_message(5, &genesis(), Millis(9));
        assert_eq!(m.len(), 76);
        assert!(m.starts_with(CHECKPOINT_LABEL));
        assert_eq!(parse_digest(&hex::encode(genesis())), Some(genesis()));
        assert_eq!(parse_digest("zz"), None);
    }
}
