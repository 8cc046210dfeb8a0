//! E-licences: issued by a department with one of its seals (`IssueLicences`), numbered
//! gaplessly per year, signed, stored with the signed file and the holder's identifier
//! field-encrypted, revoked by the issuing department (`RevokeLicences`), listed for the issuer,
//! the holder's account and the hall's 免提交 lookup by holder.

use crate::events::{LicenceIssued, LicenceRevoked};
use crate::seal::SEAL_COLUMNS;
use crate::sign::{DOCUMENT_FORMAT, sign_licence};
use crate::{
    Error, Holder, HolderKind, Issuer, Licence, LicenceDocument, LicenceField, LicenceId, LicenceInput,
    LicenceStatus, Result, Revocation, SealId, Seals, SignedLicence, parse_code, parse_date,
};
use tongban_crypto::{mask_credit_code, mask_id_number, mask_name};
use tongban_db::{EventDraft, Row, Tx, params};
use tongban_kernel::msg;
use tongban_kernel::{CreditCode, DeptPath, IdNumber, Permission, Principal, PrincipalKind, input};

/// One of an applicant's licences that may stand in for a material ([`Seals::usable_licences`]),
/// with enough to tell eight 出生医学证明 apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsableLicence {
    /// The licence.
    pub licence: Licence,
    /// The holder's name in full: the licence is the applicant's own.
    pub holder: String,
    /// The document's first line: what the licence is about (新生儿姓名 for a birth
    /// certificate, whose holder is the parent).
    pub first_line: Option<LicenceField>,
}

/// Most lines a licence may carry.
pub const MAX_FIELDS: usize = 40;
/// The column whose blind index finds a holder's licences.
pub(crate) const HOLDER_FIELD: &str = "licences.holder_id";
/// The column holding the signed file.
pub(crate) const SIGNED_FIELD: &str = "licences.signed";

const LICENCE_COLUMNS: &str = "id, number, licence_type, title, holder_kind, holder_masked, holder_id_masked, \
     holder_account, dept_id, dept_path, dept_name, seal_id, valid_from, valid_to, case_number, issued_ms, \
     issued_by, revoked_ms, revoked_reason, revoked_by";

fn licence_from_row(r: &Row) -> Result<Licence> {
    let revoked_ms: Option<i64> = r.get("revoked_ms")?;
    Ok(Licence {
        id: LicenceId(r.get("id")?),
        number: r.get("number")?,
        licence_type: r.get("licence_type")?,
        title: r.get("title")?,
        holder_kind: parse_code("holder_kind", &r.get::<String>("holder_kind")?, HolderKind::parse)?,
        holder_masked: r.get("holder_masked")?,
        holder_id_masked: r.get("holder_id_masked")?,
        holder_account: r.get("holder_account")?,
        issuer: Issuer {
            id: r.get("dept_id")?,
            path: r.get("dept_path")?,
            name_zh: r.get("dept_name")?,
        },
        seal_id: SealId(r.get("seal_id")?),
        valid_from: parse_date("valid_from", &r.get::<String>("valid_from")?)?,
        valid_to: r
            .get::<Option<String>>("valid_to")?
            .map(|t| parse_date("valid_to", &t))
            .transpose()?,
        case_number: r.get("case_number")?,
        issued: r.get("issued_ms")?,
        issued_by: r.get("issued_by")?,
        revoked: match revoked_ms {
            Some(at) => Some(Revocation {
                at: tongban_kernel::Millis(at),
                reason: r.get::<Option<String>>("revoked_reason")?.unwrap_or_default(),
                by: r.get::<Option<String>>("revoked_by")?.unwrap_or_default(),
            }),
            None => None,
        },
    })
}

/// A licence input, checked.
struct Checked {
    licence_type: String,
    title: String,
    holder_name: String,
    holder_id: String,
    holder_id_masked: String,
    holder_account: Option<String>,
    fields: Vec<LicenceField>,
    case_number: Option<String>,
}

fn check_type_code(text: &str) -> Result<String> {
    let t = text.trim();
    let ok = (2..=64).contains(&t.len())
        && t.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(t.to_string())
    } else {
        Err(Error::invalid("licence_type", msg!("licence-type-code-2")))
    }
}

fn check(new: &LicenceInput) -> Result<Checked> {
    let licence_type = check_type_code(&new.licence_type)?;
    let title = input::line("title", &new.title, 60)?;
    let holder_name = input::line("holder_name", &new.holder_name, 100)?;
    let (holder_id, holder_id_masked) = match new.holder_kind {
        HolderKind::Person => {
            let id = IdNumber::parse("holder_id", &new.holder_id)?;
            (id.as_str().to_string(), mask_id_number(id.as_str()))
        }
        HolderKind::Organisation => {
            let code = CreditCode::parse("holder_id", &new.holder_id)?;
            (code.as_str().to_string(), mask_credit_code(code.as_str()))
        }
    };
    let holder_account = match &new.holder_account {
        Some(a) if !a.trim().is_empty() => Some(input::line("holder_account", a, 64)?),
        _ => None,
    };
    if new.fields.len() > MAX_FIELDS {
        return Err(Error::invalid(
            "fields",
            msg!("most-max-fields-lines", max_fields = MAX_FIELDS),
        ));
    }
    let mut fields = Vec::with_capacity(new.fields.len());
    for (i, f) in new.fields.iter().enumerate() {
        let label = input::line(&format!("fields[{i}].label"), &f.label, 40)?;
        if fields.iter().any(|g: &LicenceField| g.label == label) {
            return Err(Error::invalid(
                format!("fields[{i}].label"),
                msg!("duplicate-label"),
            ));
        }
        let value = input::text(&format!("fields[{i}].value"), &f.value, 1000)?;
        fields.push(LicenceField { label, value });
    }
    let case_number = match &new.case_number {
        Some(c) if !c.trim().is_empty() => Some(input::line("case_number", c, 40)?),
        _ => None,
    };
    Ok(Checked {
        licence_type,
        title,
        holder_name,
        holder_id,
        holder_id_masked,
        holder_account,
        fields,
        case_number,
    })
}

/// The next number of `year`, `DZZZ-2026-00000123`: the counter row stays locked until the
/// issuing transaction ends, so concurrent issues queue and a rollback leaves no gap.
async fn next_number(tx: &mut Tx, year: i16) -> Result<(i64, String)> {
    let seq: i64 = tx
        .fetch_one(
            "INSERT INTO licence_counters (year, last_seq) VALUES ($1, 1) \
             ON CONFLICT (year) DO UPDATE SET last_seq = licence_counters.last_seq + 1 RETURNING last_seq",
            params![i64::from(year)],
        )
        .await?
        .get("last_seq")?;
    Ok((seq, format!("DZZZ-{year:04}-{seq:08}")))
}

/// Whether `actor` may read the signed file of `licence`: its holder, its issuing department's
/// staff who issue licences, or the platform.
fn may_read_file(actor: &Principal, licence: &Licence) -> bool {
    actor.kind == PrincipalKind::System
        || (actor.kind == PrincipalKind::User && licence.holder_account.as_deref() == Some(actor.id.as_str()))
        || actor.allows(Permission::IssueLicences, Some(&licence.issuer.path))
}

impl Seals {
    /// Issues a licence signed with `seal` (`IssueLicences` over the seal's department; the seal
    /// must be valid today), in its own transaction.
    #[tracing::instrument(skip_all)]
    pub async fn issue_licence(
        &self,
        actor: &Principal,
        seal: &SealId,
        new: LicenceInput,
    ) -> Result<(Licence, SignedLicence)> {
        let mut tx = self.db.begin_write().await?;
        let issued = self.issue_licence_in(&mut tx, actor, seal, new).await?;
        tx.commit().await?;
        Ok(issued)
    }

    /// [`issue_licence`](Self::issue_licence) inside the caller's transaction.
    pub async fn issue_licence_in(
        &self,
        tx: &mut Tx,
        actor: &Principal,
        seal_id: &SealId,
        new: LicenceInput,
    ) -> Result<(Licence, SignedLicence)> {
        self.issue_in(tx, actor, seal_id, new, true).await
    }

    /// Issues the licence of a case completed (办结) through a workflow, inside the case's
    /// transaction. The workflow is the authority here: the hall has checked that `actor` holds
    /// the case's issue step in the seal's department and that the case was approved, so no
    /// `IssueLicences` permission is asked of the actor; the seal must still belong to the
    /// case's department (`dept`), and the licence records the actor as its issuer.
    pub async fn issue_case_licence_in(
        &self,
        tx: &mut Tx,
        actor: &Principal,
        dept: &DeptPath,
        seal_id: &SealId,
        new: LicenceInput,
    ) -> Result<(Licence, SignedLicence)> {
        let (licence, signed) = self.issue_in(tx, actor, seal_id, new, false).await?;
        if &licence.issuer.path != dept {
            return Err(Error::forbidden(msg!("only-case-department-s")));
        }
        Ok((licence, signed))
    }

    async fn issue_in(
        &self,
        tx: &mut Tx,
        actor: &Principal,
        seal_id: &SealId,
        new: LicenceInput,
        check_permission: bool,
    ) -> Result<(Licence, SignedLicence)> {
        let row = tx
            .fetch_optional(
                &format!("SELECT {SEAL_COLUMNS} FROM seals WHERE id = $1"),
                params![seal_id.as_str()],
            )
            .await?
            .ok_or_else(|| Error::invalid("seal", msg!("no-such-seal")))?;
        let seal = crate::seal::seal_from_row(&row)?;
        if check_permission {
            actor.require(Permission::IssueLicences, Some(&seal.issuer.path))?;
        }
        let today = self.today();
        if seal.retired.is_some() {
            return Err(Error::conflict("seal", msg!("seal-s-key-was")));
        }
        if !seal.valid_on(today) {
            return Err(Error::conflict(
                "seal",
                msg!(
                    "seal-valid-valid-from",
                    valid_from = seal.valid_from,
                    valid_to = seal.valid_to
                ),
            ));
        }
        let c = check(&new)?;
        let valid_from = new.valid_from.unwrap_or(today);
        if let Some(to) = new.valid_to
            && to < valid_from
        {
            return Err(Error::invalid("valid_to", msg!("last-valid-day-not")));
        }
        let key = self.signing_key(seal_id).await?;

        let (seq, number) = next_number(tx, today.year()).await?;
        let holder_masked = match new.holder_kind {
            HolderKind::Person => mask_name(&c.holder_name),
            HolderKind::Organisation => c.holder_name.clone(),
        };
        let document = LicenceDocument {
            format: DOCUMENT_FORMAT.into(),
            number: number.clone(),
            licence_type: c.licence_type.clone(),
            title: c.title.clone(),
            holder: Holder {
                kind: new.holder_kind,
                name: c.holder_name.clone(),
                id_masked: c.holder_id_masked.clone(),
            },
            issuer: seal.issuer.clone(),
            issued_on: today,
            valid_from,
            valid_to: new.valid_to,
            fields: c.fields,
            case_number: c.case_number.clone(),
        };
        let now = self.now();
        let signed = sign_licence(document, &seal.certificate, &key, now)
            .map_err(|e| crate::error::decode_err("document", e.0))?;
        let file =
            serde_json::to_string(&signed).map_err(|e| crate::error::decode_err("signed", e.to_string()))?;
        let cipher = self.keyring.fields();
        let licence = Licence {
            id: LicenceId::new(),
            number: number.clone(),
            licence_type: c.licence_type,
            title: c.title,
            holder_kind: new.holder_kind,
            holder_masked,
            holder_id_masked: c.holder_id_masked,
            holder_account: c.holder_account,
            issuer: seal.issuer.clone(),
            seal_id: seal.id.clone(),
            valid_from,
            valid_to: new.valid_to,
            case_number: c.case_number,
            issued: now,
            issued_by: actor.name.clone(),
            revoked: None,
        };
        tx.execute(
            "INSERT INTO licences (id, number, year, seq, licence_type, title, holder_kind, holder_masked, \
             holder_id_enc, holder_id_bidx, holder_id_masked, holder_account, dept_id, dept_path, dept_name, \
             seal_id, valid_from, valid_to, case_number, signed_enc, issued_ms, issued_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)",
            params![
                licence.id.as_str(),
                number.as_str(),
                i64::from(today.year()),
                seq,
                licence.licence_type.as_str(),
                licence.title.as_str(),
                licence.holder_kind.code(),
                licence.holder_masked.as_str(),
                cipher.encrypt(HOLDER_FIELD, &c.holder_id),
                cipher.blind_index(HOLDER_FIELD, &c.holder_id),
                licence.holder_id_masked.as_str(),
                licence.holder_account.clone(),
                licence.issuer.id.as_str(),
                &licence.issuer.path,
                licence.issuer.name_zh.as_str(),
                seal.id.as_str(),
                valid_from.to_string(),
                licence.valid_to.map(|d| d.to_string()),
                licence.case_number.clone(),
                cipher.encrypt(SIGNED_FIELD, &file),
                now,
                actor.name.as_str(),
            ],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &LicenceIssued {
                    number: number.clone(),
                    licence_type: licence.licence_type.clone(),
                    holder: licence.holder_masked.clone(),
                    holder_id: licence.holder_id_masked.clone(),
                    seal: seal.id.as_str().into(),
                    data_hash: signed.signature.data_hash.clone(),
                    case_number: licence.case_number.clone(),
                },
                licence.id.as_str(),
                Some(&licence.issuer.path),
                msg!("issued-e-licence-number", title = licence.title, number = number),
            ),
        )
        .await?;
        Ok((licence, signed))
    }

    /// Revokes (注销) a licence, with a reason (`RevokeLicences` over the issuing department).
    #[tracing::instrument(skip_all)]
    pub async fn revoke_licence(&self, actor: &Principal, number: &str, reason: &str) -> Result<Licence> {
        let current = self.licence(number).await?;
        actor.require(Permission::RevokeLicences, Some(&current.issuer.path))?;
        let reason = input::text("reason", reason, 500)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let changed = tx
            .execute(
                "UPDATE licences SET revoked_ms = $1, revoked_reason = $2, revoked_by = $3 \
                 WHERE number = $4 AND revoked_ms IS NULL",
                params![now, reason.as_str(), actor.name.as_str(), current.number.as_str()],
            )
            .await?;
        if changed == 0 {
            return Err(Error::conflict("status", msg!("licence-already-revoked")));
        }
        tx.append_event(
            actor,
            EventDraft::of(
                &LicenceRevoked {
                    number: current.number.clone(),
                    reason: reason.clone(),
                },
                current.id.as_str(),
                Some(&current.issuer.path),
                msg!("revoked-e-licence-number", number = current.number),
            ),
        )
        .await?;
        tx.commit().await?;
        self.licence(number).await
    }

    /// A licence's public record by number (the verification page shows it to anyone: the
    /// holder is masked).
    pub async fn licence(&self, number: &str) -> Result<Licence> {
        self.db
            .fetch_optional(
                &format!("SELECT {LICENCE_COLUMNS} FROM licences WHERE number = $1"),
                params![number.trim()],
            )
            .await?
            .map(|r| licence_from_row(&r))
            .transpose()?
            .ok_or(Error::NotFound { what: "licence" })
    }

    /// The signed JSON file of licence `number`, pretty-printed, for its holder, the issuing
    /// department's staff, or the platform.
    pub async fn signed_file(&self, actor: &Principal, number: &str) -> Result<String> {
        // Re-indent for people; verification does not depend on whitespace.
        serde_json::to_string_pretty(&self.signed_value(actor, number).await?)
            .map_err(|e| crate::error::decode_err("signed_enc", e.to_string()))
    }

    /// The signed document of licence `number`, for those who may read its file: what the holder
    /// sees in full (the holder's name unmasked) when choosing among their own licences.
    pub async fn document(&self, actor: &Principal, number: &str) -> Result<crate::LicenceDocument> {
        serde_json::from_value::<crate::SignedLicence>(self.signed_value(actor, number).await?)
            .map(|l| l.document)
            .map_err(|e| crate::error::decode_err("signed_enc", e.to_string()))
    }

    /// The signed file of licence `number`, parsed, for its holder, the issuing department's
    /// staff, or the platform.
    async fn signed_value(&self, actor: &Principal, number: &str) -> Result<serde_json::Value> {
        let licence = self.licence(number).await?;
        if !may_read_file(actor, &licence) {
            return Err(Error::forbidden(msg!("only-holder-issuing-department")));
        }
        let file = self.stored_file(&licence.number).await?;
        serde_json::from_str(&file).map_err(|e| crate::error::decode_err("signed_enc", e.to_string()))
    }

    /// The signed file as stored, for verification by number (no actor: the verdict reveals
    /// nothing the public record does not).
    pub(crate) async fn stored_file(&self, number: &str) -> Result<String> {
        let stored: String = self
            .db
            .fetch_optional(
                "SELECT signed_enc FROM licences WHERE number = $1",
                params![number.trim()],
            )
            .await?
            .ok_or(Error::NotFound { what: "licence" })?
            .get("signed_enc")?;
        Ok(self.keyring.fields().decrypt(SIGNED_FIELD, &stored)?)
    }

    /// The licences held by platform account `account` ("my licences"), newest first.
    pub async fn licences_of_account(&self, account: &str) -> Result<Vec<Licence>> {
        let rows = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {LICENCE_COLUMNS} FROM licences WHERE holder_account = $1 ORDER BY issued_ms DESC LIMIT 500"
                ),
                params![account],
            )
            .await?;
        rows.iter().map(licence_from_row).collect()
    }

    /// The licences `applicant` may offer for a material that asks for `licence_type` (免提交):
    /// their own, of that type, valid today; newest first, each with what tells it apart.
    pub async fn usable_licences(
        &self,
        applicant: &Principal,
        licence_type: &str,
    ) -> Result<Vec<UsableLicence>> {
        let today = self.today();
        let mut out = Vec::new();
        for licence in self.licences_of_account(&applicant.id).await? {
            if licence.licence_type != licence_type || licence.status(today) != LicenceStatus::Valid {
                continue;
            }
            let document = self.document(applicant, &licence.number).await?;
            out.push(UsableLicence {
                holder: document.holder.name,
                first_line: document.fields.into_iter().next(),
                licence,
            });
        }
        Ok(out)
    }

    /// The licences issued to the holder identified by `holder_id` (身份证号 or 统一社会信用代码),
    /// of `licence_type` when given, newest first (the hall's 免提交 check).
    pub async fn licences_of_holder(
        &self,
        holder_id: &str,
        licence_type: Option<&str>,
    ) -> Result<Vec<Licence>> {
        let bidx = self.keyring.fields().blind_index(HOLDER_FIELD, holder_id);
        let rows = self
            .db
            .fetch_all(
                &format!(
                    "SELECT {LICENCE_COLUMNS} FROM licences WHERE holder_id_bidx = $1 \
                     AND ($2 = '' OR licence_type = $2) ORDER BY issued_ms DESC LIMIT 500"
                ),
                params![bidx, licence_type.unwrap_or_default()],
            )
            .await?;
        rows.iter().map(licence_from_row).collect()
    }

    /// The licences issued within the department subtree `under` (the actor's whole scope
    /// when `None`), newest first, at most `limit` (1–1000).
    pub async fn licences(
        &self,
        actor: &Principal,
        under: Option<&DeptPath>,
        limit: u32,
    ) -> Result<Vec<Licence>> {
        let scopes = actor.scopes_for(Permission::IssueLicences);
        let prefixes: Vec<String> = match under {
            Some(d) => {
                actor.require(Permission::IssueLicences, Some(d))?;
                vec![d.0.clone()]
            }
            None if scopes.is_empty() => {
                return Err(Error::forbidden(msg!(
                    "not-permitted-issuelicences",
                    issuelicences = Permission::IssueLicences.code()
                )));
            }
            None => scopes.into_iter().map(|s| s.0).collect(),
        };
        let limit = i64::from(limit.clamp(1, 1000));
        let mut out = Vec::new();
        for prefix in prefixes {
            let rows = self
                .db
                .fetch_all(
                    &format!(
                        "SELECT {LICENCE_COLUMNS} FROM licences WHERE substr(dept_path, 1, length($1)) = $1 \
                         ORDER BY issued_ms DESC, number DESC LIMIT $2"
                    ),
                    params![prefix, limit],
                )
                .await?;
            for r in &rows {
                out.push(licence_from_row(r)?);
            }
        }
        out.sort_by(|a, b| b.issued.cmp(&a.issued).then_with(|| b.number.cmp(&a.number)));
        out.dedup_by(|a, b| a.id == b.id);
        out.truncate(usize::try_from(limit).unwrap_or(1000));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> LicenceInput {
        LicenceInput {
            licence_type: "individual-business-licence".into(),
            title: "个体工商户营业执照".into(),
            holder_kind: HolderKind::Person,
            holder_name: "张三".into(),
            holder_id: IdNumber::with_check("33010219900101123")
                .map(|i| i.as_str().to_string())
                .unwrap_or_default(),
            holder_account: None,
            valid_from: None,
            valid_to: None,
            fields: vec![LicenceField {
                label: "经营场所".into(),
                value: "杭州市上城区某路1号".into(),
            }],
            case_number: None,
        }
    }

    fn field_of(r: Result<Checked>) -> Option<String> {
        r.err().and_then(|e| e.field().map(String::from))
    }

    #[test]
    fn a_good_input_checks_and_masks_the_identifier() {
        let c = check(&input());
        let masked = c.map(|c| c.holder_id_masked).unwrap_or_default();
        assert!(masked.starts_with("3301**********"), "{masked}");
        assert_eq!(masked.chars().count(), 18);
    }

    #[test]
    fn bad_input_names_its_field() {
        let mut bad = input();
        bad.holder_id = "330102199001011230".into();
        assert_eq!(field_of(check(&bad)).as_deref(), Some("holder_id"));
        let mut bad = input();
        bad.licence_type = "营业执照".into();
        assert_eq!(field_of(check(&bad)).as_deref(), Some("licence_type"));
        let mut bad = input();
        bad.fields.push(LicenceField {
            label: "经营场所".into(),
            value: "x".into(),
        });
        assert_eq!(field_of(check(&bad)).as_deref(), Some("fields[1].label"));
        let mut bad = input();
        bad.holder_kind = HolderKind::Organisation;
        assert_eq!(field_of(check(&bad)).as_deref(), Some("holder_id"));
        let mut bad = input();
        bad.title = "  ".into();
        assert_eq!(field_of(check(&bad)).as_deref(), Some("title"));
    }
}
