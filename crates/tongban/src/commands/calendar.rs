//! 节假日安排 from the command line: a year's holidays entered (and every open case and item
//! recounted), and the years known.

use super::{hall_for, identity_for, interact_for, system};
use crate::platform::Platform;
use anyhow::{Context, Result};
use std::path::Path;

/// Enters the years in the TOML file `file` and recounts the open deadlines they move.
pub(super) async fn add(p: &Platform, file: &Path) -> Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let years = tongban_db::calendar::add_years(&p.db, &system(), &text).await?;
    p.calendar.merge_toml(&text)?;
    let hall = hall_for(p, &identity_for(p, None), tongban_kernel::time::DEFAULT_ZONE).await?;
    let first = years.iter().copied().min().unwrap_or_default();
    let cases = hall.recount_due_days(&system(), first).await?;
    let interact = interact_for(p, tongban_kernel::time::DEFAULT_ZONE).await?;
    let items = interact.recount_due_days(&system(), first).await?;
    println!(
        "{}",
        say!(
            "entered-open-cases-rectifications-moved",
            years = format!("{years:?}"),
            checked = cases.checked.to_string(),
            moved = cases.moved.to_string(),
            checked2 = items.checked.to_string(),
            moved2 = items.moved.to_string()
        )
    );
    Ok(())
}

/// The years with holidays, and whether each shipped or was entered.
pub(super) async fn list(p: &Platform) -> Result<()> {
    for (year, shipped) in tongban_db::calendar::years(&p.db).await? {
        println!(
            "{year} {}",
            if shipped {
                say!("shipped")
            } else {
                say!("entered-administrator")
            }
        );
    }
    Ok(())
}
