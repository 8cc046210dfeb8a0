//! The open catalog (开放目录): published resources whose open class is `open`, readable by anyone
//! without signing in. Fields are listed with their sensitivity; only public fields are
//! described.

use crate::resource::{COLUMNS, col, from_row, text_match};
use crate::{Catalog, Error, Listing, OpenClass, OpenResource, ResourceStatus, Result, check};
use tongban_db::sql::render;
use tongban_db::sql::sea_query::{Alias, Cond, Expr, Order, Query};
use tongban_kernel::Page;

fn open_only() -> Cond {
    Cond::all()
        .add(col("status").eq(ResourceStatus::Published.code()))
        .add(col("open_class").eq(OpenClass::Open.code()))
}

impl Catalog {
    /// The open catalog, for anyone (no sign-in): published resources whose open class is
    /// `open`, by code, optionally matching `text`. Fields are listed with their sensitivity;
    /// only public fields carry a description.
    pub async fn list_open_resources(&self, text: Option<&str>, page: Page) -> Result<Listing<OpenResource>> {
        let mut cond = open_only();
        if let Some(t) = text {
            cond = cond.add(text_match(t, &["code", "name_zh", "name_en", "summary"]));
        }
        let list = self.page_of_resources(cond, page).await?;
        Ok(Listing {
            items: list.items.iter().map(OpenResource::of).collect(),
            total: list.total,
            limit: list.limit,
            offset: list.offset,
        })
    }

    /// One resource of the open catalog, for anyone; [`Error::NotFound`] unless it is published
    /// and open.
    pub async fn open_resource(&self, code: &str) -> Result<OpenResource> {
        let code = check::resource_code("code", code).map_err(|_| Error::NotFound { what: "resource" })?;
        let q = Query::select()
            .expr(Expr::cust(COLUMNS))
            .from(Alias::new("resources"))
            .cond_where(open_only().add(col("code").eq(code)))
            .to_owned();
        let (sql, values) = render(self.db.backend(), &q);
        let row = self
            .db
            .fetch_optional(&sql, values)
            .await?
            .ok_or(Error::NotFound { what: "resource" })?;
        Ok(OpenResource::of(&from_row(&row)?))
    }

    /// Every resource of the open catalog, by code (for the DCAT export).
    pub(crate) async fn all_open_resources(&self) -> Result<Vec<OpenResource>> {
        let q = Query::select()
            .expr(Expr::cust(COLUMNS))
            .from(Alias::new("resources"))
            .cond_where(open_only())
            .order_by(Alias::new("code"), Order::Asc)
            .to_owned();
        let (sql, values) = render(self.db.backend(), &q);
        self.db
            .fetch_all(&sql, values)
            .await?
            .iter()
            .map(|r| from_row(r).map(|r| OpenResource::of(&r)))
            .collect()
    }
}
