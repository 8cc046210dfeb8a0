//! The department tree (组织机构): city → departments → offices, each with a unique code and a
//! path of codes from the root that role scopes match by prefix.

use crate::events::{DepartmentCreated, DepartmentDeleted, DepartmentRenamed};
use crate::{Department, DeptId, DeptKind, Error, Identity, NewDepartment, Result, clean_name};
use tongban_db::{EventDraft, Row, params};
use tongban_kernel::msg;
use tongban_kernel::{DeptPath, Invalid, Permission, Principal};

const COLUMNS: &str = "id, code, name_zh, name_en, parent_id, path, kind, created_ms";

/// The columns of `departments d` under `dept_` names, for joins.
pub(crate) const JOINED_COLUMNS: &str = "d.id AS dept_id, d.code AS dept_code, d.name_zh AS dept_name_zh, \
     d.name_en AS dept_name_en, d.parent_id AS dept_parent_id, d.path AS dept_path, \
     d.kind AS dept_kind, d.created_ms AS dept_created_ms";

/// Reads a department from columns named `{prefix}id`, `{prefix}code`, …
pub(crate) fn from_row(r: &Row, prefix: &str) -> Result<Department> {
    let col = |c: &str| format!("{prefix}{c}");
    let kind: String = r.get(&col("kind"))?;
    Ok(Department {
        id: DeptId(r.get(&col("id"))?),
        code: r.get(&col("code"))?,
        name_zh: r.get(&col("name_zh"))?,
        name_en: r.get(&col("name_en"))?,
        parent_id: r.get::<Option<String>>(&col("parent_id"))?.map(DeptId),
        path: r.get(&col("path"))?,
        kind: DeptKind::parse(&kind).ok_or_else(|| tongban_db::Error::Decode {
            column: col("kind"),
            reason: format!("unknown department kind `{kind}`"),
        })?,
        created: r.get(&col("created_ms"))?,
    })
}

/// Reads a joined department if the row has one (`dept_id` not NULL).
pub(crate) fn from_joined_row(r: &Row) -> Result<Option<Department>> {
    if r.get::<Option<String>>("dept_id")?.is_none() {
        return Ok(None);
    }
    from_row(r, "dept_").map(Some)
}

/// Department codes: letters, digits and `-`, 1–32 characters (they become path segments, so no
/// `/`, and no LIKE wildcards).
fn check_code(text: &str) -> Result<String, Invalid> {
    let code = text.trim();
    let ok = (1..=32).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(code.to_string())
    } else {
        Err(Invalid::new("code", msg!("code-1-32-letters")))
    }
}

/// Sorts departments into tree order (each parent followed by its subtree), segment by segment
/// so that punctuation in codes and database collations cannot reorder it.
pub(crate) fn sort_tree(depts: &mut [Department]) {
    depts.sort_by(|a, b| {
        let sa: Vec<&str> = a.path.as_str().split('/').collect();
        let sb: Vec<&str> = b.path.as_str().split('/').collect();
        sa.cmp(&sb)
    });
}

impl Identity {
    pub(crate) async fn load_department(&self, id: &DeptId) -> Result<Option<Department>> {
        self.db
            .fetch_optional(
                &format!("SELECT {COLUMNS} FROM departments WHERE id = $1"),
                params![id.as_str()],
            )
            .await?
            .map(|r| from_row(&r, ""))
            .transpose()
    }

    pub(crate) async fn require_department(&self, id: &DeptId) -> Result<Department> {
        self.load_department(id)
            .await?
            .ok_or(Error::NotFound { what: "department" })
    }

    /// Whether `path` is the root or an existing department's path.
    pub(crate) async fn scope_exists(&self, path: &DeptPath) -> Result<bool> {
        if *path == DeptPath::root() {
            return Ok(true);
        }
        Ok(self
            .db
            .fetch_optional(
                "SELECT id FROM departments WHERE path = $1",
                params![path.as_str()],
            )
            .await?
            .is_some())
    }

    /// Creates a department under `new.parent` (a city at the root when `None`). Needs
    /// `ManageDepartments` over the parent (over the root for a city).
    #[tracing::instrument(skip_all)]
    pub async fn create_department(&self, actor: &Principal, new: NewDepartment) -> Result<Department> {
        let code = check_code(&new.code)?;
        let name_zh = clean_name("name_zh", &new.name_zh, 100)?;
        let name_en = if new.name_en.trim().is_empty() {
            String::new()
        } else {
            clean_name("name_en", &new.name_en, 200)?
        };
        let parent = match &new.parent {
            Some(id) => Some(self.require_department(id).await?),
            None => None,
        };
        actor.require(Permission::ManageDepartments, parent.as_ref().map(|p| &p.path))?;
        match (&parent, new.kind) {
            (None, DeptKind::City) | (Some(_), DeptKind::Department | DeptKind::Office) => {}
            (None, _) => {
                return Err(Error::invalid("parent", msg!("only-city-may-sit")));
            }
            (Some(_), DeptKind::City) => {
                return Err(Error::invalid("kind", msg!("city-cannot-have-parent")));
            }
        }
        let path = parent
            .as_ref()
            .map_or_else(DeptPath::root, |p| p.path.clone())
            .child(&code);
        let dept = Department {
            id: DeptId::new(),
            code,
            name_zh,
            name_en,
            parent_id: parent.as_ref().map(|p| p.id.clone()),
            path,
            kind: new.kind,
            created: self.now(),
        };

        let mut tx = self.db.begin_write().await?;
        let taken = tx
            .fetch_optional(
                "SELECT id FROM departments WHERE code = $1 OR path = $2",
                params![dept.code, dept.path],
            )
            .await?
            .is_some();
        if taken {
            return Err(code_taken());
        }
        tx.execute(
            &format!("INSERT INTO departments ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
            params![
                dept.id.as_str(),
                dept.code,
                dept.name_zh,
                dept.name_en,
                dept.parent_id.as_ref().map(|p| p.as_str()),
                dept.path,
                dept.kind.code(),
                dept.created
            ],
        )
        .await
        .map_err(|e| match e {
            tongban_db::Error::Conflict(_) => code_taken(),
            e => e.into(),
        })?;
        tx.append_event(
            actor,
            EventDraft::of(
                &DepartmentCreated {
                    code: dept.code.clone(),
                    path: dept.path.clone(),
                    kind: dept.kind.code().into(),
                    name_zh: dept.name_zh.clone(),
                    name_en: dept.name_en.clone(),
                },
                dept.id.as_str(),
                Some(&dept.path),
                msg!(
                    "created-department-dept-dept3",
                    dept = dept.code,
                    dept2 = dept.name_zh,
                    dept3 = dept.name_en
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        crate::client::bearer_changed();
        Ok(dept)
    }

    /// Renames a department (`ManageDepartments` over its parent). Codes and paths never change:
    /// grants and events refer to them.
    #[tracing::instrument(skip_all)]
    pub async fn rename_department(
        &self,
        actor: &Principal,
        id: &DeptId,
        name_zh: &str,
        name_en: &str,
    ) -> Result<Department> {
        let dept = self.require_department(id).await?;
        actor.require(
            Permission::ManageDepartments,
            self.parent_path(&dept).await?.as_ref(),
        )?;
        let name_zh = clean_name("name_zh", name_zh, 100)?;
        let name_en = if name_en.trim().is_empty() {
            String::new()
        } else {
            clean_name("name_en", name_en, 200)?
        };
        let mut tx = self.db.begin_write().await?;
        tx.execute(
            "UPDATE departments SET name_zh = $1, name_en = $2 WHERE id = $3",
            params![name_zh, name_en, dept.id.as_str()],
        )
        .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &DepartmentRenamed {
                    code: dept.code.clone(),
                    from: (dept.name_zh.clone(), dept.name_en.clone()),
                    to: (name_zh.clone(), name_en.clone()),
                },
                dept.id.as_str(),
                Some(&dept.path),
                msg!(
                    "department-dept-renamed-value2",
                    dept = dept.code,
                    value = name_zh,
                    value2 = name_en
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        crate::client::bearer_changed();
        Ok(Department {
            name_zh,
            name_en,
            ..dept
        })
    }

    /// Deletes an empty department (`ManageDepartments` over its parent): one with no offices
    /// below it, no accounts, no API clients and no role granted over it.
    #[tracing::instrument(skip_all)]
    pub async fn delete_department(&self, actor: &Principal, id: &DeptId) -> Result<()> {
        let dept = self.require_department(id).await?;
        actor.require(
            Permission::ManageDepartments,
            self.parent_path(&dept).await?.as_ref(),
        )?;
        let mut tx = self.db.begin_write().await?;
        let in_use: i64 = tx
            .fetch_one(
                "SELECT (SELECT COUNT(*) FROM departments WHERE parent_id = $1)                  + (SELECT COUNT(*) FROM accounts WHERE department_id = $1)                  + (SELECT COUNT(*) FROM api_clients WHERE department_id = $1)                  + (SELECT COUNT(*) FROM role_grants WHERE scope_path = $2) AS n",
                params![dept.id.as_str(), dept.path.as_str()],
            )
            .await?
            .get("n")?;
        if in_use > 0 {
            return Err(Error::conflict("id", msg!("department-still-has-offices")));
        }
        tx.execute("DELETE FROM departments WHERE id = $1", params![dept.id.as_str()])
            .await?;
        tx.append_event(
            actor,
            EventDraft::of(
                &DepartmentDeleted {
                    code: dept.code.clone(),
                    path: dept.path.clone(),
                },
                dept.id.as_str(),
                Some(&dept.path),
                msg!(
                    "deleted-department-dept-dept3",
                    dept = dept.code,
                    dept2 = dept.name_zh,
                    dept3 = dept.name_en
                ),
            ),
        )
        .await?;
        tx.commit().await?;
        crate::client::bearer_changed();
        Ok(())
    }

    async fn parent_path(&self, dept: &Department) -> Result<Option<tongban_kernel::DeptPath>> {
        Ok(match &dept.parent_id {
            Some(p) => Some(self.require_department(p).await?.path),
            None => None,
        })
    }

    /// The departments the actor may see (`ReadDepartments`), in tree order.
    pub async fn list_departments(&self, actor: &Principal) -> Result<Vec<Department>> {
        let scopes = actor.scopes_for(Permission::ReadDepartments);
        if scopes.is_empty() {
            actor.require(Permission::ReadDepartments, None)?;
        }
        let mut depts = self.directory().await?;
        depts.retain(|d| scopes.iter().any(|s| s.contains(&d.path)));
        Ok(depts)
    }

    /// The whole department tree as the public directory, in tree order: what a form that
    /// sends something to a department offers, and how a code is found. Departments, their
    /// codes and names are public knowledge (every service guide and letter carries them), so
    /// no permission is asked; nothing about people is in it.
    pub async fn directory(&self) -> Result<Vec<Department>> {
        let mut depts = self
            .db
            .fetch_all(&format!("SELECT {COLUMNS} FROM departments"), params![])
            .await?
            .iter()
            .map(|r| from_row(r, ""))
            .collect::<Result<Vec<_>>>()?;
        sort_tree(&mut depts);
        Ok(depts)
    }

    /// The department with `code` in the public directory (see [`Identity::directory`]).
    pub async fn directory_entry(&self, code: &str) -> Result<Department> {
        self.db
            .fetch_optional(
                &format!("SELECT {COLUMNS} FROM departments WHERE code = $1"),
                params![code.trim()],
            )
            .await?
            .map(|r| from_row(&r, ""))
            .transpose()?
            .ok_or(Error::NotFound { what: "department" })
    }

    /// Every department's path with its Chinese and English names, for anyone: names are
    /// public (every service page and letter carries them), so pages can show a name instead
    /// of a code even for a department outside the reader's own subtree.
    pub async fn department_names(&self) -> Result<Vec<(tongban_kernel::DeptPath, String, String)>> {
        self.db
            .fetch_all("SELECT path, name_zh, name_en FROM departments", params![])
            .await?
            .iter()
            .map(|r| {
                Ok((
                    tongban_kernel::DeptPath(r.get("path")?),
                    r.get("name_zh")?,
                    r.get("name_en")?,
                ))
            })
            .collect()
    }

    /// A department's full official name as letters and licences print it: the names of its
    /// city (and county) before its own, `示范市公安局`; in English the other way round,
    /// `Public Security Bureau, Demo City`. Public, like [`Identity::department_names`].
    pub async fn official_name(&self, path: &tongban_kernel::DeptPath) -> Result<(String, String)> {
        self.official_names()
            .await?
            .remove(path.as_str())
            .ok_or(Error::NotFound { what: "department" })
    }

    /// Every department's official name ([`Identity::official_name`]), by path, for pages that
    /// name many departments at once.
    pub async fn official_names(&self) -> Result<std::collections::HashMap<String, (String, String)>> {
        let mut all = self.department_names().await?;
        all.retain(|(p, _, _)| p.as_str() != "/");
        all.sort_by_key(|(p, _, _)| p.as_str().len());
        let mut out = std::collections::HashMap::new();
        for (path, _, _) in &all {
            let line: Vec<&(tongban_kernel::DeptPath, String, String)> =
                all.iter().filter(|(p, _, _)| p.contains(path)).collect();
            let zh = line.iter().map(|(_, zh, _)| zh.as_str()).collect::<String>();
            let en = line
                .iter()
                .rev()
                .map(|(_, zh, en)| if en.is_empty() { zh.as_str() } else { en.as_str() })
                .collect::<Vec<_>>()
                .join(", ");
            out.insert(path.as_str().to_string(), (zh, en));
        }
        Ok(out)
    }

    /// One department, if the actor may see it (`ReadDepartments` over it).
    pub async fn get_department(&self, actor: &Principal, id: &DeptId) -> Result<Department> {
        let dept = self.require_department(id).await?;
        actor.require(Permission::ReadDepartments, Some(&dept.path))?;
        Ok(dept)
    }

    /// The department with `code`, if the actor may see it.
    pub async fn department_by_code(&self, actor: &Principal, code: &str) -> Result<Department> {
        let dept = self.directory_entry(code).await?;
        actor.require(Permission::ReadDepartments, Some(&dept.path))?;
        Ok(dept)
    }
}

fn code_taken() -> Error {
    Error::conflict("code", msg!("department-code-already-exists"))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn dept(path: &str) -> Department {
        Department {
            id: DeptId::new(),
            code: "x".into(),
            name_zh: "x".into(),
            name_en: String::new(),
            parent_id: None,
            path: DeptPath(path.into()),
            kind: DeptKind::Office,
            created: tongban_kernel::Millis(0),
        }
    }

    #[test]
    fn tree_order_keeps_children_under_their_parent() {
        let mut v = vec![
            dept("/3301/3301-GA-X/"),
            dept("/3301/3301-GA/w1/"),
            dept("/3301/"),
            dept("/3301/3301-GA/"),
        ];
        sort_tree(&mut v);
        let paths: Vec<&str> = v.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/3301/",
                "/3301/3301-GA/",
                "/3301/3301-GA/w1/",
                "/3301/3301-GA-X/"
            ]
        );
        assert_eq!(v[0].depth(), 0);
        assert_eq!(v[2].depth(), 2);
    }

    #[test]
    fn codes_are_path_safe() {
        assert!(check_code("3301-GA").is_ok());
        assert_eq!(check_code("a/b").unwrap_err().field, "code");
        assert!(check_code("a%").is_err());
        assert!(check_code("").is_err());
    }
}
