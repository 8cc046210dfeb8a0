//! The e-licence a completed case produces: the item's [`LicenceSpec`](crate::LicenceSpec) says
//! which form fields name the holder and which are printed; the department's seal signs it in
//! the case's own transaction, so a case is never completed without its licence, nor a licence
//! issued for a case that did not complete.

use crate::form::open_values;
use crate::store::{item_in, sealed_form_in};
use crate::{ApplicantKind, Case, Error, Hall, Result};
use tongban_db::Tx;
use tongban_kernel::Principal;
use tongban_kernel::msg;
use tongban_seal::{HolderKind, LicenceField, LicenceInput};

impl Hall {
    /// Issues the licence of `case` (being completed by `actor`) in `tx`; `None` when its item
    /// produces none.
    pub(crate) async fn issue_licence_for(
        &self,
        tx: &mut Tx,
        actor: &Principal,
        case: &Case,
    ) -> Result<Option<String>> {
        let item = item_in(tx, &case.item_id).await?;
        let Some(spec) = item.licence else {
            return Ok(None);
        };
        let seals = self
            .seals
            .as_ref()
            .ok_or_else(|| Error::conflict("licence", msg!("seal-service-off")))?;
        let form = open_values(&item.fields, &sealed_form_in(tx, &case.id).await?, &self.fields)?;
        let value = |code: &str| {
            form.get(code)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let holder_name = value(&spec.holder_name_field).ok_or_else(|| {
            Error::conflict(
                "licence",
                msg!("form-lacks-holder-name", field = &spec.holder_name_field),
            )
        })?;
        let holder_id = value(&spec.holder_id_field).ok_or_else(|| {
            Error::conflict(
                "licence",
                msg!("form-lacks-holder-id", field = &spec.holder_id_field),
            )
        })?;
        let fields = spec
            .lines
            .iter()
            .filter_map(|l| {
                // A choice prints its label (个人经营), never its stored value (personal).
                let field = item.fields.iter().find(|f| f.code == l.field);
                value(&l.field).map(|v| LicenceField {
                    label: l.label.clone(),
                    value: field.map_or_else(|| v.clone(), |f| f.shown_value(&v)),
                })
            })
            .collect();
        let today = self.today();
        let valid_to = spec
            .valid_years
            .and_then(|y| today.checked_add(jiff::Span::new().years(i64::from(y))).ok())
            .and_then(|d| d.yesterday().ok());
        let seal = seals.department_seal_in(tx, &case.department.path).await?;
        let input = LicenceInput {
            licence_type: spec.licence_type,
            title: spec.title,
            holder_kind: match case.applicant_kind {
                ApplicantKind::Citizen => HolderKind::Person,
                ApplicantKind::Business => HolderKind::Organisation,
            },
            holder_name,
            holder_id,
            holder_account: Some(case.applicant_id.clone()),
            valid_from: Some(today),
            valid_to,
            fields,
            case_number: Some(case.number.clone()),
        };
        let (licence, _) = seals
            .issue_case_licence_in(tx, actor, &case.department.path, &seal.id, input)
            .await?;
        Ok(Some(licence.number))
    }
}
