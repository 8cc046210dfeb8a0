//! Data versions (数据版本): the immutable versions the pool stores under
//! `lake/<code>/v<version>/`, recorded in the catalog with their row count, quality score and
//! change summary. The catalog keeps the record; the data stays in the pool.

use crate::events::VersionRecorded;
use crate::{
    Catalog, Error, NewVersion, ResourceId, ResourceStatus, ResourceVersion, Result, from_json, to_json,
};
use serde_json::json;
use tongban_db::{EventDraft, params};
use tongban_kernel::msg;
use tongban_kernel::{Permission, Principal};

impl Catalog {
    /// Records a new immutable data version the pool has stored (`ManageCatalog` over the
    /// provider; the pool calls it as the ingesting user or as the platform). Versions count up
    /// from 1 without gaps: anything but current + 1 is a [`Error::Conflict`] on `version`.
    #[tracing::instrument(skip_all)]
    pub async fn record_version(
        &self,
        actor: &Principal,
        id: &ResourceId,
        new: NewVersion,
    ) -> Result<ResourceVersion> {
        let r = self.require_resource(id).await?;
        actor.require(Permission::ManageCatalog, Some(&r.provider.path))?;
        if r.status == ResourceStatus::Retired {
            return Err(Error::conflict("status", msg!("retired-resource-takes-no")));
        }
        if !(new.quality_score.is_finite() && (0.0..=1.0).contains(&new.quality_score)) {
            return Err(Error::invalid("quality_score", msg!("quality-score-between-0")));
        }
        let row_count = i64::try_from(new.row_count).map_err(|_| Error::invalid("row_count", "too large"))?;
        let diff = match new.diff {
            serde_json::Value::Null => json!({}),
            d @ serde_json::Value::Object(_) => d,
            _ => {
                return Err(Error::invalid("diff", msg!("diff-summary-json-object")));
            }
        };
        let diff_text = to_json("diff", &diff)?;
        if diff_text.len() > 64 * 1024 {
            return Err(Error::invalid("diff", msg!("diff-summary-most-64")));
        }
        let expected = r.current_version + 1;
        if new.version != expected {
            return Err(Error::conflict(
                "version",
                msg!("next-version-expected", expected = expected),
            ));
        }
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let n = tx
            .execute(
                "UPDATE resources SET current_version = $1, updated_ms = $2 \
                 WHERE id = $3 AND current_version = $4",
                params![new.version, now, id.as_str(), r.current_version],
            )
            .await?;
        if n == 0 {
            return Err(Error::conflict("version", msg!("another-version-was-recorded")));
        }
        tx.execute(
            "INSERT INTO resource_versions (resource_id, version, row_count, quality_score, diff, \
             recorded_by, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            params![
                id.as_str(),
                new.version,
                row_count,
                new.quality_score,
                diff_text,
                actor.id,
                now
            ],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &VersionRecorded {
                    code: r.code.clone(),
                    version: new.version,
                    row_count: new.row_count,
                    quality_score: new.quality_score,
                    diff: diff.clone(),
                },
                id.as_str(),
                Some(&r.provider.path),
                msg!(
                    "resource-r-version-version",
                    r = r.code,
                    version = new.version,
                    row_count = new.row_count
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        crate::cache::changed();
        Ok(ResourceVersion {
            resource_id: id.clone(),
            version: new.version,
            row_count: new.row_count,
            quality_score: new.quality_score,
            diff,
            recorded_by: actor.id.clone(),
            created: now,
        })
    }

    /// The data versions of a resource, newest first (same visibility as
    /// [`Catalog::get_resource`]).
    pub async fn resource_versions(
        &self,
        actor: &Principal,
        id: &ResourceId,
    ) -> Result<Vec<ResourceVersion>> {
        self.get_resource(actor, id).await?;
        self.db
            .fetch_all(
                "SELECT version, row_count, quality_score, diff, recorded_by, created_ms \
                 FROM resource_versions WHERE resource_id = $1 ORDER BY version DESC",
                params![id.as_str()],
            )
            .await?
            .iter()
            .map(|r| {
                Ok(ResourceVersion {
                    resource_id: id.clone(),
                    version: r.get("version")?,
                    row_count: u64::try_from(r.get::<i64>("row_count")?).unwrap_or(0),
                    quality_score: r.get("quality_score")?,
                    diff: from_json("diff", &r.get::<String>("diff")?)?,
                    recorded_by: r.get("recorded_by")?,
                    created: r.get("created_ms")?,
                })
            })
            .collect()
    }
}
