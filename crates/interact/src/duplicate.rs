//! Possible duplicates (疑似重复): items of the same category near one another, or with
//! near-identical text, shown to staff who may merge them so one reply answers everyone.
//!
//! Text similarity is the Jaccard coefficient of character 3-shingles of the normalised text
//! (half width, lower case, letters, digits and ideographs only). Each item also stores a 64-bit
//! SimHash of its shingles; candidates are first narrowed by SimHash distance so comparing an
//! item with a month of submissions reads only ids and hashes.

use crate::Access;
use crate::events::ItemMerged;
use crate::item::visible_to_staff;
use crate::sql::col;
use crate::store::{ITEM_COLUMNS, LogDraft, item_event, item_from_row, item_in, log, notify, save_item};
use crate::{DuplicateCandidate, Error, GeoPoint, Interact, Item, ItemId, ItemStatus, ItemView, Result};
use std::collections::BTreeMap;
use tongban_db::sql::render;
use tongban_db::sql::sea_query::{Alias, Cond, Expr, Order, Query};
use tongban_kernel::Principal;
use tongban_kernel::{Arg, msg};

/// Characters per shingle.
const SHINGLE: usize = 3;
/// SimHash bits two texts may differ in and still be compared exactly.
const SIMHASH_RADIUS: u32 = 20;
/// Most recent items read by SimHash when looking for duplicates.
const SCAN_LIMIT: u64 = 5000;
/// Most candidates compared exactly, and most returned.
const CANDIDATE_LIMIT: usize = 200;
const RETURNED: usize = 50;
const MS_PER_DAY: i64 = 86_400_000;

fn normalized(text: &str) -> Vec<char> {
    text.chars()
        .map(tongban_text::width::half_width_char)
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// FNV-1a, then a splitmix64 finaliser so every bit depends on every input byte (SimHash needs
/// well-spread bits); stable across runs and platforms.
fn hash_chars(chars: &[char]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chars {
        let mut buf = [0u8; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The hashed character 3-shingles of `text`, sorted and distinct (a text shorter than a
/// shingle is one shingle; an empty text has none).
pub fn shingles(text: &str) -> Vec<u64> {
    let chars = normalized(text);
    let mut out: Vec<u64> = if chars.len() < SHINGLE {
        if chars.is_empty() {
            Vec::new()
        } else {
            vec![hash_chars(&chars)]
        }
    } else {
        chars.windows(SHINGLE).map(hash_chars).collect()
    };
    out.sort_unstable();
    out.dedup();
    out
}

/// The Jaccard coefficient |A∩B| / |A∪B| of two sorted, distinct shingle sets (0 when both
/// are empty).
pub fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let union = a.len() + b.len() - common;
    if union == 0 {
        0.0
    } else {
        common as f64 / union as f64
    }
}

/// The 64-bit SimHash of `text`'s shingles: near-identical texts differ in few bits.
pub fn simhash(text: &str) -> u64 {
    let mut weights = [0i32; 64];
    for h in shingles(text) {
        for (bit, w) in weights.iter_mut().enumerate() {
            *w += if h >> bit & 1 == 1 { 1 } else { -1 };
        }
    }
    weights
        .iter()
        .enumerate()
        .filter(|(_, w)| **w > 0)
        .fold(0u64, |acc, (bit, _)| acc | 1 << bit)
}

/// Great-circle distance in metres (haversine, mean Earth radius).
pub(crate) fn distance_m(a: GeoPoint, b: GeoPoint) -> f64 {
    const R: f64 = 6_371_008.8;
    let (la1, la2) = (a.latitude.to_radians(), b.latitude.to_radians());
    let dla = la2 - la1;
    let dlo = (b.longitude - a.longitude).to_radians();
    let h = (dla / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlo / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().min(1.0).asin()
}

fn stored_hash(v: i64) -> u64 {
    u64::from_ne_bytes(v.to_ne_bytes())
}

impl Interact {
    /// Items that may be the same matter as `id`, for staff who may see it: the same category
    /// within [`crate::Settings::duplicate_radius_m`], or text at least
    /// [`crate::Settings::duplicate_text_similarity`] alike, submitted within
    /// [`crate::Settings::duplicate_window_days`] of it, not merged, and visible to the actor.
    /// Most alike first.
    pub async fn possible_duplicates(
        &self,
        actor: &Principal,
        id: &ItemId,
    ) -> Result<Vec<DuplicateCandidate>> {
        let item = self.load_item(id).await?;
        if self.access(actor, &item).await? != Access::Staff {
            return Err(Error::forbidden(msg!("not-permitted-see-possible")));
        }
        let window = self.settings.duplicate_window_days.max(1) * MS_PER_DAY;
        let base = visible_to_staff(actor)?
            .add(col("id").ne(item.id.as_str()))
            .add(col("status").ne(ItemStatus::Merged.code()))
            .add(col("created_ms").gte(item.created.0 - window))
            .add(col("created_ms").lte(item.created.0 + window));

        let mut wanted: Vec<String> = Vec::new();
        let point = item.location.as_ref().and_then(|l| l.point);
        if let Some(p) = point {
            let radius = self.settings.duplicate_radius_m.max(0.0);
            let dlat = radius / 111_320.0;
            let dlon = radius / (111_320.0 * p.latitude.to_radians().cos().abs().max(0.01));
            let near = base
                .clone()
                .add(col("category").eq(item.category.as_str()))
                .add(col("latitude").between(p.latitude - dlat, p.latitude + dlat))
                .add(col("longitude").between(p.longitude - dlon, p.longitude + dlon));
            wanted.extend(self.ids_where(near, CANDIDATE_LIMIT as u64).await?);
        }
        let own = simhash(&item.text);
        let mut select = Query::select();
        select
            .from(Alias::new("interact_items"))
            .column(Alias::new("id"))
            .column(Alias::new("text_hash"))
            .cond_where(base)
            .order_by(Alias::new("created_ms"), Order::Desc)
            .limit(SCAN_LIMIT);
        let (sql, values) = render(self.db.backend(), &select);
        let mut by_hash: Vec<(u32, String)> = Vec::new();
        for r in self.db.fetch_all(&sql, values).await? {
            let distance = (stored_hash(r.get("text_hash")?) ^ own).count_ones();
            if distance <= SIMHASH_RADIUS {
                by_hash.push((distance, r.get("id")?));
            }
        }
        by_hash.sort();
        wanted.extend(by_hash.into_iter().take(CANDIDATE_LIMIT).map(|(_, id)| id));
        wanted.sort();
        wanted.dedup();
        if wanted.is_empty() {
            return Ok(Vec::new());
        }

        let mut select = Query::select();
        select
            .from(Alias::new("interact_items"))
            .expr(Expr::cust(ITEM_COLUMNS))
            .cond_where(Cond::all().add(col("id").is_in(wanted)));
        let (sql, values) = render(self.db.backend(), &select);
        let own_shingles = shingles(&item.text);
        let mut found: BTreeMap<(u64, u64, String), DuplicateCandidate> = BTreeMap::new();
        for r in self.db.fetch_all(&sql, values).await? {
            let other = item_from_row(&r, &self.fields)?;
            let distance = match (point, other.location.as_ref().and_then(|l| l.point)) {
                (Some(a), Some(b)) => Some(distance_m(a, b)),
                _ => None,
            };
            let similarity = jaccard(&own_shingles, &shingles(&other.text));
            let nearby = other.category == item.category
                && distance.is_some_and(|d| d <= self.settings.duplicate_radius_m);
            let similar_text = similarity >= self.settings.duplicate_text_similarity;
            if nearby || similar_text {
                // Most similar text first, then nearest.
                let key = (
                    u64::MAX - (similarity * 1e9) as u64,
                    distance.map_or(u64::MAX, |d| d as u64),
                    other.id.0.clone(),
                );
                found.insert(
                    key,
                    DuplicateCandidate {
                        item: other,
                        distance_m: distance,
                        text_similarity: similarity,
                        nearby,
                        similar_text,
                    },
                );
            }
        }
        Ok(found.into_values().take(RETURNED).collect())
    }

    async fn ids_where(&self, cond: Cond, limit: u64) -> Result<Vec<String>> {
        let mut select = Query::select();
        select
            .from(Alias::new("interact_items"))
            .column(Alias::new("id"))
            .cond_where(cond)
            .order_by(Alias::new("created_ms"), Order::Desc)
            .limit(limit);
        let (sql, values) = render(self.db.backend(), &select);
        self.db
            .fetch_all(&sql, values)
            .await?
            .iter()
            .map(|r| Ok(r.get("id")?))
            .collect()
    }

    /// Merges the open item `id` into `into` (合并): `id` is finished as merged, its submitter is
    /// told that `into` answers it, and the reply to `into` reaches them too. The actor must
    /// handle both items (`HandleInteractions` over both departments).
    #[tracing::instrument(skip_all)]
    pub async fn merge(&self, actor: &Principal, id: &ItemId, into: &ItemId, note: &str) -> Result<ItemView> {
        let note = crate::check::optional_text("note", note, crate::check::MAX_NOTE)?;
        if id == into {
            return Err(Error::invalid("into", msg!("item-cannot-merged-into")));
        }
        let now = self.now();
        let today = self.today();
        let mut tx = self.db.begin_write().await?;
        let mut item = item_in(&mut tx, id, &self.fields).await?;
        let target: Item = match item_in(&mut tx, into, &self.fields).await {
            Err(Error::NotFound { .. }) => {
                return Err(Error::invalid("into", msg!("no-such-item-merge")));
            }
            other => other?,
        };
        Self::require_handler(actor, &item)?;
        Self::require_handler(actor, &target)?;
        if !matches!(item.status, ItemStatus::Unassigned | ItemStatus::InProgress) {
            return Err(Error::conflict(
                "status",
                msg!(
                    "status-forbids-merge",
                    status = Arg::name(item.status.name_zh(), item.status.name_en()),
                ),
            ));
        }
        if target.status == ItemStatus::Merged {
            return Err(Error::invalid("into", msg!("target-was-itself-merged")));
        }
        item.status = ItemStatus::Merged;
        item.merged_into = Some(target.id.clone());
        item.clock.finish(today)?;
        item.updated = now;
        save_item(&mut tx, &mut item).await?;
        let public_note = format!("并入 {}", target.number);
        log(
            &mut tx,
            id,
            actor,
            now,
            LogDraft {
                action: "merged",
                department: target.dept_path(),
                note: &public_note,
                public: true,
            },
        )
        .await?;
        log(
            &mut tx,
            into,
            actor,
            now,
            LogDraft {
                action: "merged_from",
                department: item.dept_path(),
                note: &format!("{} {note}", item.number),
                public: false,
            },
        )
        .await?;
        notify(
            &mut tx,
            &item,
            "merged",
            &format!("与同一事项 {} 合并办理，答复将一并告知", target.number),
            &format!(
                "was merged with {} on the same matter; its reply answers you too",
                target.number
            ),
            now,
        )
        .await?;
        item_event(
            &mut tx,
            actor,
            ItemMerged {
                into: target.number.clone(),
                note,
            },
            &item,
            ("合并诉求", "item merged"),
        )
        .await?;
        tx.commit().await?;
        Ok(self.view(item))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_identical_texts_are_alike_and_different_ones_are_not() {
        let a = shingles("翠苑小区门口的路灯坏了一个多月，晚上很黑，请尽快修复。");
        let b = shingles("翠苑小区门口的路灯坏了一个多月了，晚上很黑，请尽快修复！");
        let c = shingles("我想咨询新生儿落户需要准备哪些材料。");
        assert!(jaccard(&a, &b) >= 0.75, "{}", jaccard(&a, &b));
        assert!(jaccard(&a, &c) < 0.1);
        assert_eq!(jaccard(&[], &[]), 0.0);
        assert_eq!(shingles("ＡＢ"), shingles("ab"), "width and case do not matter");
    }

    #[test]
    fn simhash_keeps_near_identical_texts_close() {
        let a = simhash("翠苑小区门口的路灯坏了一个多月，晚上很黑，请尽快修复。");
        let b = simhash("翠苑小区门口的路灯坏了一个多月了，晚上很黑，请尽快修复！");
        let c = simhash("我想咨询新生儿落户需要准备哪些材料，以及办理地点在哪里。");
        assert!((a ^ b).count_ones() <= SIMHASH_RADIUS, "{}", (a ^ b).count_ones());
        assert!((a ^ c).count_ones() > 10, "{}", (a ^ c).count_ones());
        assert_eq!(simhash(""), 0);
    }

    #[test]
    fn distances_are_in_metres() {
        let a = GeoPoint {
            latitude: 30.2741,
            longitude: 120.1551,
        };
        let b = GeoPoint {
            latitude: 30.2750,
            longitude: 120.1551,
        };
        let d = distance_m(a, b);
        assert!((95.0..105.0).contains(&d), "{d}");
        assert_eq!(distance_m(a, a), 0.0);
    }
}
