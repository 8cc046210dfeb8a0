//! The hall's department directory backed by identity: a path resolves to the department whose
//! code is its last segment, if that department's path is exactly the one asked for.

use tongban_hall::{DeptRef, Directory, DirectoryFuture};
use tongban_identity::Identity;
use tongban_kernel::DeptPath;

/// Departments as identity knows them.
#[derive(Clone)]
pub struct IdentityDirectory {
    identity: Identity,
}

impl IdentityDirectory {
    /// A directory over `identity`'s department tree.
    pub fn new(identity: Identity) -> Self {
        Self { identity }
    }
}

impl Directory for IdentityDirectory {
    fn department<'a>(&'a self, path: &'a DeptPath) -> DirectoryFuture<'a> {
        Box::pin(async move {
            let Some(code) = path
                .as_str()
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .filter(|c| !c.is_empty())
            else {
                return Ok(None);
            };
            match self.identity.directory_entry(code).await {
                Ok(d) if &d.path == path => Ok(Some(DeptRef {
                    id: d.id.to_string(),
                    path: d.path,
                    name_zh: d.name_zh,
                })),
                Ok(_) | Err(tongban_identity::Error::NotFound { .. }) => Ok(None),
                Err(e) => Err(e.to_string()),
            }
        })
    }
}
