//! Departments as the hall records them, and the directory it asks whether a department exists.
//! The hall never reads identity's tables: the caller supplies a [`Directory`] (the server backs
//! it with identity; tests and the demo with a [`StaticDirectory`]).

use serde::{Deserialize, Serialize};
use std::future::Future;
use std::pin::Pin;
use tongban_kernel::DeptPath;

/// A department as recorded on items, workflow steps, cases and tasks. Paths never change in
/// identity, so the hall matches departments by path; the id is kept for links.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeptRef {
    /// Identity's department id (UUID text).
    pub id: String,
    /// Place in the org tree, `/3301/3301-GA/`.
    pub path: DeptPath,
    /// Chinese name at the time of recording.
    pub name_zh: String,
}

/// What a directory lookup returns: the department, `None` when unknown, or why it failed.
pub type DirectoryFuture<'a> = Pin<Box<dyn Future<Output = Result<Option<DeptRef>, String>> + Send + 'a>>;

/// Resolves a department path to the department, or `None` when there is no such department.
pub trait Directory: Send + Sync {
    /// The department at `path`.
    fn department<'a>(&'a self, path: &'a DeptPath) -> DirectoryFuture<'a>;
}

/// A fixed list of departments.
#[derive(Debug, Clone, Default)]
pub struct StaticDirectory {
    departments: Vec<DeptRef>,
}

impl StaticDirectory {
    /// A directory knowing exactly `departments`.
    pub fn new(departments: Vec<DeptRef>) -> Self {
        Self { departments }
    }
}

impl Directory for StaticDirectory {
    fn department<'a>(&'a self, path: &'a DeptPath) -> DirectoryFuture<'a> {
        let found = self.departments.iter().find(|d| &d.path == path).cloned();
        Box::pin(async move { Ok(found) })
    }
}
