//! Knowledge base articles: a reviewer other than the author, fixed once the article is sent for review; published
//! only by that reviewer; and sent back to review when someone else changes a published article's words.
use super::{Behaviour, Creation, Refusal};
use crate::column;
use crate::domain::enums::ArticleStatus;
use crate::records::row::Cells;
use crate::users::User;
use diesel::PgConnection;

#[derive(Debug)]
pub struct Articles;

impl Behaviour for Articles {
    fn creation_extras(&self, _conn: &mut PgConnection, new: &mut Creation<'_>) -> Result<bool, Refusal> {
        let reviewer = new.submitted.reference(column!(knowledge_base_articles, reviewer_user));
        check_reviewer_change("draft", None, reviewer, Some(new.user.user_id))
            .map_err(|message| Refusal::field("reviewer_user", message))?;
        if let Some(status) = new.submitted.choice(column!(knowledge_base_articles, status), ArticleStatus::parse) {
            check_article_submission(status).map_err(|message| Refusal::field("status", message))?;
        }
        Ok(false)
    }

    fn check_edit(&self, user: &User, old: &Cells, new: &Cells) -> Result<Option<&'static str>, Refusal> {
        let status = column!(knowledge_base_articles, status);
        let reviewer_user = column!(knowledge_base_articles, reviewer_user);
        let from = old.text(status).unwrap_or_default();
        let reviewer = old.reference(reviewer_user);
        let author = old.reference(column!(knowledge_base_articles, created_by_user));
        check_reviewer_change(from, reviewer, new.reference(reviewer_user), author)
            .map_err(|message| Refusal::field("reviewer_user", message))?;
        let text = [column!(knowledge_base_articles, title), column!(knowledge_base_articles, body)];
        let text_changed = text.iter().any(|field| new.cell(field) != old.cell(field));
        let to = new.text(status).unwrap_or_default();
        Ok(back_to_review(from, to, text_changed, reviewer, user.user_id).then_some("under_review"))
    }

    fn check_move(&self, user: &User, old: &Cells, to: &str) -> Result<(), Refusal> {
        if to == "published" {
            // The reviewer who approves is the one the article was sent for review with.
            let reviewer = old.reference(column!(knowledge_base_articles, reviewer_user));
            check_publish(reviewer, user.user_id).map_err(Refusal::Forbidden)?;
        }
        Ok(())
    }
}

/// Publishing an article needs its reviewer's approval: only the reviewer publishes it.
pub fn check_publish(reviewer: Option<i32>, actor_id: i32) -> Result<(), String> {
    match reviewer {
        None => Err("Knowledge base: publishing needs a reviewer's approval; choose a reviewer and send the article for review.".into()),
        Some(reviewer) if reviewer != actor_id => Err("Knowledge base: only the article's reviewer may publish it.".into()),
        Some(_) => Ok(()),
    }
}

/// An article's reviewer is someone other than its author, and stays the same from the moment it is sent
/// for review.
pub fn check_reviewer_change(
    status: &str,
    old: Option<i32>,
    new: Option<i32>,
    author: Option<i32>,
) -> Result<(), String> {
    if new.is_some() && new == author {
        return Err("Knowledge base: the reviewer must be someone other than the article's author.".into());
    }
    if old != new && matches!(status, "under_review" | "published" | "archived") {
        return Err("Knowledge base: the reviewer cannot change once the article has been sent for review; move it back to draft first.".into());
    }
    Ok(())
}

/// An edit of a published article's words by anyone but its reviewer sends it back to review: what contacts read
/// is what the reviewer approved.
pub fn back_to_review(from: &str, to: &str, text_changed: bool, reviewer: Option<i32>, editor: i32) -> bool {
    from == "published" && to == "published" && text_changed && reviewer != Some(editor)
}

/// An article is published by its reviewer after review, never as it is submitted (its reviewer is not its author).
pub fn check_article_submission(status: ArticleStatus) -> Result<(), String> {
    if status == ArticleStatus::Published {
        Err("Knowledge base: an article is published by its reviewer once reviewed; submit it as a draft or for review.".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reviewer_publishes_and_is_not_the_author() {
        assert!(check_publish(None, 1).is_err());
        assert!(check_publish(Some(2), 1).unwrap_err().contains("only the article's reviewer"));
        assert!(check_publish(Some(1), 1).is_ok());
        assert!(
            check_reviewer_change("draft", None, Some(4), Some(4))
                .unwrap_err()
                .contains("other than the article's author")
        );
        assert!(
            check_reviewer_change("under_review", Some(2), Some(3), Some(4)).unwrap_err().contains("cannot change")
        );
        assert!(check_reviewer_change("draft", Some(2), Some(3), Some(4)).is_ok());
        assert!(check_article_submission(ArticleStatus::UnderReview).is_ok());
        assert!(check_article_submission(ArticleStatus::Published).unwrap_err().contains("by its reviewer"));
    }

    #[test]
    fn editing_a_published_articles_words_sends_it_back_to_review_unless_the_reviewer_does() {
        let table = [
            ("published", "published", true, Some(2), 1, true),
            ("published", "published", true, Some(1), 1, false),
            ("published", "published", false, Some(2), 1, false),
            ("published", "archived", true, Some(2), 1, false),
            ("draft", "draft", true, Some(2), 1, false),
            ("published", "published", true, None, 1, true),
        ];
        for (from, to, text_changed, reviewer, editor, back) in table {
            assert_eq!(back_to_review(from, to, text_changed, reviewer, editor), back, "{from} → {to} {reviewer:?}");
        }
    }
}
