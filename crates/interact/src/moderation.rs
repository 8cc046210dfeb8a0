//! Moderation of what the public sees of an item (公开内容审核). Public items show their redacted
//! title and text through Open311 as soon as they are filed, and on the board once replied and
//! approved. Words on the maintained sensitive-word list are masked in that public text when the
//! item is filed (the staff still read the original), and the handling department may withdraw
//! an item from public view altogether, with a reason the citizen is told.

use crate::check::{self, MAX_NOTE};
use crate::events::ItemWithdrawnFromPublic;
use crate::store::{LogDraft, item_event, item_in, log, notify, save_item};
use crate::{Interact, ItemId, ItemView, Result};
use tongban_kernel::Principal;
use tongban_kernel::msg;

/// `text` with each occurrence of a word of `words` replaced by as many `＊` as it has
/// characters.
pub(crate) fn mask_words(text: &str, words: &[String]) -> String {
    let mut out = text.to_string();
    for w in words.iter().filter(|w| !w.is_empty()) {
        if out.contains(w.as_str()) {
            out = out.replace(w.as_str(), &"＊".repeat(w.chars().count()));
        }
    }
    out
}

impl Interact {
    /// The public version of a citizen's text: personal data removed (names the submitter gave,
    /// phone and ID numbers, e-mail addresses) and sensitive words masked.
    pub(crate) fn public_version(&self, text: &str, known_names: &[&str]) -> String {
        let redacted = tongban_text::reply::public_text(text, known_names);
        mask_words(&redacted, self.checker.sensitive_words())
    }

    /// Withdraws item `id` from public view (不予公开) with a reason, by the handling department
    /// (`HandleInteractions` over it): it leaves the board and the Open311 lists; the citizen is
    /// told why. Handling goes on as before.
    #[tracing::instrument(skip_all)]
    pub async fn withdraw_from_public(
        &self,
        actor: &Principal,
        id: &ItemId,
        reason: &str,
    ) -> Result<ItemView> {
        let reason = check::text("reason", reason, MAX_NOTE)?;
        let now = self.now();
        let mut tx = self.db.begin_write().await?;
        let mut item = item_in(&mut tx, id, &self.fields).await?;
        Self::require_handler(actor, &item)?;
        if !item.public {
            return Err(crate::Error::conflict("public", msg!("item-not-public")));
        }
        item.public = false;
        item.updated = now;
        save_item(&mut tx, &mut item).await?;
        log(
            &mut tx,
            id,
            actor,
            now,
            LogDraft {
                action: "withdrawn_from_public",
                department: item.department.as_ref().map(|d| &d.path),
                note: &reason,
                public: true,
            },
        )
        .await?;
        notify(
            &mut tx,
            &item,
            "withdrawn_from_public",
            &format!("不予公开：{reason}"),
            &format!("will not be published: {reason}"),
            now,
        )
        .await?;
        item_event(
            &mut tx,
            actor,
            ItemWithdrawnFromPublic { reason },
            &item,
            ("诉求不予公开", "item withdrawn from public view"),
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
    fn listed_words_are_masked_character_for_character() {
        let words = vec!["神经病".to_string(), "滚蛋".to_string(), String::new()];
        assert_eq!(
            mask_words("城管都是神经病，滚蛋吧", &words),
            "城管都是＊＊＊，＊＊吧"
        );
        assert_eq!(mask_words("路灯不亮", &words), "路灯不亮");
    }

    #[test]
    fn the_maintained_list_masks_common_insults() {
        let words: Vec<String> = tongban_text::reply::SENSITIVE_WORDS
            .iter()
            .map(|w| w.to_string())
            .collect();
        assert_eq!(mask_words("物业就是一群混蛋", &words), "物业就是一群＊＊");
        assert_eq!(mask_words("王八蛋才这么干", &words), "＊＊＊才这么干");
    }
}
