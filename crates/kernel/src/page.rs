//! Paging for every list: a bounded limit and an offset.

use serde::Deserialize;

/// A page request. Limits are clamped to `1..=MAX_LIMIT` so no caller can ask for everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Page {
    /// Rows per page.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u64,
}

impl Page {
    /// The largest page any list serves.
    pub const MAX_LIMIT: u32 = 500;

    /// A page of `limit` rows starting at `offset`, with the limit clamped.
    pub fn new(limit: u32, offset: u64) -> Self {
        Self {
            limit: limit.clamp(1, Self::MAX_LIMIT),
            offset,
        }
    }

    /// Page number `n` (1-based) of `per_page` rows.
    pub fn number(n: u64, per_page: u32) -> Self {
        let per = per_page.clamp(1, Self::MAX_LIMIT);
        Self::new(per, n.saturating_sub(1).saturating_mul(u64::from(per)))
    }

    /// The 1-based number of this page.
    pub fn current(&self) -> u64 {
        self.offset / u64::from(self.limit.max(1)) + 1
    }
}

impl Default for Page {
    fn default() -> Self {
        Self::new(50, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::Page;

    #[test]
    fn limits_are_clamped() {
        assert_eq!(Page::new(0, 0).limit, 1);
        assert_eq!(Page::new(1_000_000, 0).limit, Page::MAX_LIMIT);
        assert_eq!(Page::number(3, 20).offset, 40);
        assert_eq!(Page::number(3, 20).current(), 3);
        assert_eq!(Page::number(0, 20).offset, 0);
    }
}
