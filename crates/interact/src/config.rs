//! What the city configures: categories (诉求分类, also the Open311 service list), time limits per
//! kind and category, and routing rules (分办规则) from category and district to the responsible
//! department. Categories and time limits are city-wide (`ManageInteractionRules` over the whole
//! tree); a rule may be set by whoever holds `ManageInteractionRules` over the department it
//! names (and over the one it replaces).

use crate::check;
use crate::events::{CategoryAdded, CategoryUpdated, LimitSet, RuleRemoved, RuleSet};
use crate::{
    Category, DeptRef, Error, Interact, ItemKind, NewCategory, NewRule, Result, RoutingRule, RuleId,
    TimeLimit, parse_code,
};
use tongban_db::{EventDraft, Row, params};
use tongban_kernel::{Arg, msg};
use tongban_kernel::{Permission, Principal};

/// The longest time limit that can be configured, in working days.
pub const MAX_LIMIT_DAYS: u32 = 60;

const RULE_COLUMNS: &str = "id, category, district, dept_id, dept_path, dept_name, created_by, updated_ms";

fn category_from_row(r: &Row) -> Result<Category> {
    Ok(Category {
        code: r.get("code")?,
        name_zh: r.get("name_zh")?,
        name_en: r.get("name_en")?,
        active: r.get("active")?,
    })
}

fn rule_from_row(r: &Row) -> Result<RoutingRule> {
    let district: String = r.get("district")?;
    Ok(RoutingRule {
        id: RuleId(r.get("id")?),
        category: r.get("category")?,
        district: (!district.is_empty()).then_some(district),
        department: DeptRef {
            id: r.get("dept_id")?,
            path: r.get("dept_path")?,
            name_zh: r.get("dept_name")?,
        },
        created_by: r.get("created_by")?,
        updated: r.get("updated_ms")?,
    })
}

fn unknown_category(field: &str) -> Error {
    Error::invalid(field, msg!("unknown-category"))
}

impl Interact {
    fn require_city_wide(actor: &Principal) -> Result<()> {
        actor.require(Permission::ManageInteractionRules, None)?;
        Ok(())
    }

    /// Adds a category (`ManageInteractionRules` over the whole tree). The code is stable: it is
    /// the Open311 service code and what rules and items refer to.
    #[tracing::instrument(skip_all)]
    pub async fn add_category(&self, actor: &Principal, new: NewCategory) -> Result<Category> {
        Self::require_city_wide(actor)?;
        let c = Category {
            code: check::category_code("code", &new.code)?,
            name_zh: check::line("name_zh", &new.name_zh, 50)?,
            name_en: check::optional_line("name_en", &new.name_en, 100)?,
            active: true,
        };
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "INSERT INTO interact_categories (code, name_zh, name_en, active, created_ms, updated_ms) \
             VALUES ($1, $2, $3, 1, $4, $4)",
            params![c.code.clone(), c.name_zh.clone(), c.name_en.clone(), now],
        )
        .await
        .map_err(|e| match e {
            tongban_db::Error::Conflict(_) => Error::conflict("code", msg!("category-code-taken")),
            e => e.into(),
        })?;
        tx.append_event(
            actor,
            EventDraft::of(
                &CategoryAdded {
                    code: c.code.clone(),
                    name_zh: c.name_zh.clone(),
                    name_en: c.name_en.clone(),
                },
                &c.code,
                None,
                msg!("category-added", code = c.code, name = c.name_zh),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// Renames a category or (de)activates it (`ManageInteractionRules` over the whole tree).
    /// Items already filed keep the name they were filed under.
    #[tracing::instrument(skip_all)]
    pub async fn update_category(
        &self,
        actor: &Principal,
        new: NewCategory,
        active: bool,
    ) -> Result<Category> {
        Self::require_city_wide(actor)?;
        let c = Category {
            code: check::category_code("code", &new.code)?,
            name_zh: check::line("name_zh", &new.name_zh, 50)?,
            name_en: check::optional_line("name_en", &new.name_en, 100)?,
            active,
        };
        let mut tx = self.db.begin_write().await?;
        let changed = tx
            .execute(
                "UPDATE interact_categories SET name_zh = $1, name_en = $2, active = $3, updated_ms = $4 \
                 WHERE code = $5",
                params![
                    c.name_zh.clone(),
                    c.name_en.clone(),
                    active,
                    self.now(),
                    c.code.clone()
                ],
            )
            .await?;
        if changed == 0 {
            return Err(Error::NotFound { what: "category" });
        }
        tx.append_event(
            actor,
            EventDraft::of(
                &CategoryUpdated {
                    code: c.code.clone(),
                    name_zh: c.name_zh.clone(),
                    name_en: c.name_en.clone(),
                    active,
                },
                &c.code,
                None,
                msg!("category-changed", code = c.code),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(c)
    }

    /// The categories, by code, for anyone (forms, the Open311 service list); inactive ones only
    /// when `include_inactive`.
    pub async fn categories(&self, include_inactive: bool) -> Result<Vec<Category>> {
        self.db
            .fetch_all(
                "SELECT code, name_zh, name_en, active FROM interact_categories \
                 WHERE active = 1 OR $1 = 1 ORDER BY CASE WHEN code = 'other' THEN 1 ELSE 0 END, code",
                params![include_inactive],
            )
            .await?
            .iter()
            .map(category_from_row)
            .collect()
    }

    /// The category `code`, whether active or not.
    pub async fn category(&self, code: &str) -> Result<Category> {
        let code =
            check::category_code("category", code).map_err(|_| Error::NotFound { what: "category" })?;
        self.db
            .fetch_optional(
                "SELECT code, name_zh, name_en, active FROM interact_categories WHERE code = $1",
                params![code],
            )
            .await?
            .map(|r| category_from_row(&r))
            .transpose()?
            .ok_or(Error::NotFound { what: "category" })
    }

    /// An active category for a new item or rule, or `Invalid` naming `field`.
    pub(crate) async fn active_category(&self, field: &str, code: &str) -> Result<Category> {
        let code = check::category_code(field, code).map_err(|_| unknown_category(field))?;
        match self.category(&code).await {
            Ok(c) if c.active => Ok(c),
            Ok(_) | Err(Error::NotFound { .. }) => Err(unknown_category(field)),
            Err(e) => Err(e),
        }
    }

    /// Sets the time limit of `kind` (for `category`, or every category when `None`) in working
    /// days, 1–60 (`ManageInteractionRules` over the whole tree). Items already filed keep their
    /// limit.
    #[tracing::instrument(skip_all)]
    pub async fn set_time_limit(
        &self,
        actor: &Principal,
        kind: ItemKind,
        category: Option<&str>,
        days: u32,
    ) -> Result<TimeLimit> {
        Self::require_city_wide(actor)?;
        let category = match category {
            Some(c) => Some(self.active_category("category", c).await?.code),
            None => None,
        };
        if !(1..=MAX_LIMIT_DAYS).contains(&days) {
            return Err(Error::invalid(
                "days",
                msg!("limit-1-max-limit", max_limit_days = MAX_LIMIT_DAYS),
            ));
        }
        let key = category.clone().unwrap_or_default();
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "INSERT INTO interact_time_limits (kind, category, days, updated_by, updated_ms) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, category) DO UPDATE SET \
             days = excluded.days, updated_by = excluded.updated_by, updated_ms = excluded.updated_ms",
            params![kind.code(), key.clone(), days, actor.id.clone(), self.now()],
        )
        .await?;
        let object = format!("{}:{key}", kind.code());
        tx.append_event(
            actor,
            EventDraft::of(
                &LimitSet {
                    kind: kind.code().into(),
                    category: category.clone(),
                    days,
                },
                &object,
                None,
                msg!(
                    "set-kind2-limit-days",
                    kind = Arg::name(kind.name_zh(), kind.name_en()),
                    days = days
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(TimeLimit { kind, category, days })
    }

    /// The time limit for a new item: the one set for its kind and category, else for its kind,
    /// else the kind's default (咨询 5, 求助 5, 投诉 15, 建议 15, 表扬 15).
    pub async fn time_limit(&self, kind: ItemKind, category: &str) -> Result<u32> {
        let row = self
            .db
            .fetch_optional(
                "SELECT days FROM interact_time_limits WHERE kind = $1 AND category IN ($2, '') \
                 ORDER BY category DESC LIMIT 1",
                params![kind.code(), category],
            )
            .await?;
        Ok(match row {
            Some(r) => r.get("days")?,
            None => kind.default_limit_days(),
        })
    }

    /// Every configured time limit (the defaults apply where none is listed).
    pub async fn time_limits(&self) -> Result<Vec<TimeLimit>> {
        self.db
            .fetch_all(
                "SELECT kind, category, days FROM interact_time_limits ORDER BY kind, category",
                params![],
            )
            .await?
            .iter()
            .map(|r| {
                let category: String = r.get("category")?;
                Ok(TimeLimit {
                    kind: parse_code("kind", &r.get::<String>("kind")?, ItemKind::parse)?,
                    category: (!category.is_empty()).then_some(category),
                    days: r.get("days")?,
                })
            })
            .collect()
    }

    /// Sets the rule for a category (and district): items filed later go to `department`
    /// (`ManageInteractionRules` over that department, and over the one a replaced rule named).
    #[tracing::instrument(skip_all)]
    pub async fn set_rule(&self, actor: &Principal, new: NewRule) -> Result<RoutingRule> {
        let department = check::dept_ref("department", &new.department)?;
        actor.require(Permission::ManageInteractionRules, Some(&department.path))?;
        let category = self.active_category("category", &new.category).await?.code;
        let district = check::district_code("district", new.district.as_deref().unwrap_or_default())?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let existing = tx
            .fetch_optional(
                &format!("SELECT {RULE_COLUMNS} FROM interact_rules WHERE category = $1 AND district = $2"),
                params![category.clone(), district.clone()],
            )
            .await?
            .map(|r| rule_from_row(&r))
            .transpose()?;
        let rule = match existing {
            Some(old) => {
                actor.require(Permission::ManageInteractionRules, Some(&old.department.path))?;
                tx.execute(
                    "UPDATE interact_rules SET dept_id = $1, dept_path = $2, dept_name = $3, created_by = $4, \
                     updated_ms = $5 WHERE id = $6",
                    params![
                        department.id.clone(),
                        department.path.as_str(),
                        department.name_zh.clone(),
                        actor.id.clone(),
                        now,
                        old.id.as_str()
                    ],
                )
                .await?;
                RoutingRule {
                    department,
                    created_by: actor.id.clone(),
                    updated: now,
                    ..old
                }
            }
            None => {
                let rule = RoutingRule {
                    id: RuleId::new(),
                    category,
                    district: (!district.is_empty()).then_some(district.clone()),
                    department,
                    created_by: actor.id.clone(),
                    updated: now,
                };
                tx.execute(
                    &format!(
                        "INSERT INTO interact_rules ({RULE_COLUMNS}, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)"
                    ),
                    params![
                        rule.id.as_str(),
                        rule.category.clone(),
                        district,
                        rule.department.id.clone(),
                        rule.department.path.as_str(),
                        rule.department.name_zh.clone(),
                        actor.id.clone(),
                        now
                    ],
                )
                .await?;
                rule
            }
        };
        tx.append_event(
            actor,
            EventDraft::of(
                &RuleSet {
                    category: rule.category.clone(),
                    district: rule.district.clone(),
                    department: rule.department.path.clone(),
                },
                rule.id.as_str(),
                Some(&rule.department.path),
                msg!(
                    "rule-set",
                    category = rule.category,
                    district = match rule.district.as_deref() {
                        Some(d) => Arg::name(d, d),
                        None => Arg::name("全部区域", "any district"),
                    },
                    department = rule.department.name_zh,
                    path = rule.department.path.as_str()
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(rule)
    }

    /// Removes a rule (`ManageInteractionRules` over the department it names). Items of its
    /// category then wait for dispatch unless a wider rule applies.
    #[tracing::instrument(skip_all)]
    pub async fn remove_rule(&self, actor: &Principal, id: &RuleId) -> Result<()> {
        let mut tx = self.db.begin_write().await?;
        let rule = tx
            .fetch_optional(
                &format!("SELECT {RULE_COLUMNS} FROM interact_rules WHERE id = $1"),
                params![id.as_str()],
            )
            .await?
            .map(|r| rule_from_row(&r))
            .transpose()?
            .ok_or(Error::NotFound { what: "rule" })?;
        actor.require(Permission::ManageInteractionRules, Some(&rule.department.path))?;
        tx.execute("DELETE FROM interact_rules WHERE id = $1", params![id.as_str()])
            .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &RuleRemoved {
                    category: rule.category.clone(),
                    district: rule.district.clone(),
                },
                rule.id.as_str(),
                Some(&rule.department.path),
                msg!("rule-removed", category = rule.category),
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every rule, by category and district (staff holding `HandleInteractions` or
    /// `ManageInteractionRules` anywhere).
    pub async fn list_rules(&self, actor: &Principal) -> Result<Vec<RoutingRule>> {
        if !actor.allows_somewhere(Permission::HandleInteractions)
            && !actor.allows_somewhere(Permission::ManageInteractionRules)
        {
            return Err(Error::forbidden(msg!("not-permitted-see-routing")));
        }
        self.db
            .fetch_all(
                &format!("SELECT {RULE_COLUMNS} FROM interact_rules ORDER BY category, district"),
                params![],
            )
            .await?
            .iter()
            .map(rule_from_row)
            .collect()
    }

    /// The department an item of `category` in `district` goes to: the rule for that district,
    /// else the rule for any district, else `None` (it waits for dispatch).
    pub async fn route(&self, category: &str, district: &str) -> Result<Option<DeptRef>> {
        let district = check::district_code("district", district)?;
        Ok(self
            .db
            .fetch_optional(
                &format!(
                    "SELECT {RULE_COLUMNS} FROM interact_rules WHERE category = $1 AND district IN ($2, '') \
                     ORDER BY district DESC LIMIT 1"
                ),
                params![category.trim(), district],
            )
            .await?
            .map(|r| rule_from_row(&r))
            .transpose()?
            .map(|r| r.department))
    }
}
