//! The hall's prefill source backed by the platform's services: identity says who the
//! applicant is (their verified ID number or credit code), the data pool reads their record
//! as the hall's reader — only the fields its department provides or has been granted, every
//! read on the ledger — and the catalogue names the data as people know it and says which of
//! its fields are personal.

use tongban_catalog::Catalog;
use tongban_hall::{
    HolderFuture, PersonalFuture, PrefillFuture, PrefillQuery, PrefillSource, RecordHolder, SourceRecord,
};
use tongban_identity::Identity;
use tongban_kernel::Principal;
use tongban_pool::{Pool, Subject};

/// Prefill from the shared data pool.
#[derive(Clone)]
pub struct SharedDataPrefill {
    identity: Identity,
    catalog: Catalog,
    pool: Pool,
}

impl SharedDataPrefill {
    /// A source reading `pool`, naming the data from `catalog` and the applicant from
    /// `identity`.
    pub fn new(identity: Identity, catalog: Catalog, pool: Pool) -> Self {
        Self {
            identity,
            catalog,
            pool,
        }
    }
}

impl PrefillSource for SharedDataPrefill {
    fn holder<'a>(&'a self, applicant: &'a Principal) -> HolderFuture<'a> {
        Box::pin(async move {
            let me = self
                .identity
                .own_identity(applicant)
                .await
                .map_err(|e| e.to_string())?;
            Ok(match (me.id_number, me.credit_code) {
                (Some(id), _) => Some(RecordHolder::Person(id)),
                (None, Some(code)) => Some(RecordHolder::Organisation(code)),
                (None, None) => None,
            })
        })
    }

    fn is_personal<'a>(&'a self, resource: &'a str, field: &'a str) -> PersonalFuture<'a> {
        Box::pin(async move {
            match self.catalog.resource_by_code_cached(resource).await {
                Ok(r) => Ok(r
                    .fields
                    .iter()
                    .any(|x| x.code == field && x.sensitivity == tongban_catalog::Sensitivity::Personal)),
                Err(tongban_catalog::Error::NotFound { .. }) => Ok(false),
                Err(e) => Err(e.to_string()),
            }
        })
    }

    fn read<'a>(&'a self, q: PrefillQuery<'a>) -> PrefillFuture<'a> {
        Box::pin(async move {
            let subject = match q.holder {
                RecordHolder::Person(id) => Subject::Person(id.clone()),
                RecordHolder::Organisation(code) => Subject::Organisation(code.clone()),
            };
            let found = self
                .pool
                .prefill(q.reader, q.resource, &subject, q.fields, q.purpose)
                .await
                .map_err(|e| e.to_string())?;
            let Some(record) = found.record else {
                return Ok(None);
            };
            // Named as people know it: the department and the data's name, not its code.
            let source = match self.catalog.resource_by_code_cached(&found.resource).await {
                Ok(r) => {
                    let provider = self
                        .identity
                        .official_name(&r.provider.path)
                        .await
                        .map_or_else(|_| found.provider.clone(), |(zh, _)| zh);
                    format!("{provider} · {}", r.name_zh)
                }
                Err(_) => format!("{} · {}", found.provider, found.resource),
            };
            Ok(Some(SourceRecord {
                source,
                values: record.into_iter().collect(),
            }))
        })
    }
}
