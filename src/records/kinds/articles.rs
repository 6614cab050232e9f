//! Knowledge base articles: a reviewer other than the author, fixed once the article is sent for review; published
//! only by that reviewer; and sent back to review when someone else changes a published article's words.
use super::{Behaviour, Creation, Refusal, value};
use crate::domain::enums::ArticleStatus;
use crate::forms::Values;
use crate::users::User;
use diesel::PgConnection;

#[derive(Debug)]
pub struct Articles;

impl Behaviour for Articles {
    fn creation_extras(&self, _conn: &mut PgConnection, new: &mut Creation<'_>) -> Result<bool, Refusal> {
        check_reviewer_change("draft", None, value(new.values, "reviewer_user"), Some(&new.user.user_id.to_string()))
            .map_err(|message| Refusal::field("reviewer_user", message))?;
        if let Some(status) = value(new.values, "status").and_then(ArticleStatus::parse) {
            check_article_submission(status).map_err(|message| Refusal::field("status", message))?;
        }
        Ok(false)
    }

    fn check_edit(&self, user: &User, old: &Values, new: &mut Values) -> Result<bool, Refusal> {
        let from = value(old, "status").unwrap_or_default();
        check_reviewer_change(
            from,
            value(old, "reviewer_user"),
            value(new, "reviewer_user"),
            value(old, "created_by_user"),
        )
        .map_err(|message| Refusal::field("reviewer_user", message))?;
        let reviewer = value(old, "reviewer_user").and_then(|v| v.parse().ok());
        let text_changed =
            ["title", "body"].iter().any(|field| new.get(field).is_some_and(|v| v != old.get(field).unwrap_or(&None)));
        let to = value(new, "status").unwrap_or_default();
        if back_to_review(from, to, text_changed, reviewer, user.user_id) {
            new.insert("status", Some("under_review".to_string()));
            return Ok(true);
        }
        Ok(false)
    }

    fn check_move(&self, user: &User, old: &Values, to: &str) -> Result<(), Refusal> {
        if to == "published" {
            // The reviewer who approves is the one the article was sent for review with.
            let reviewer = value(old, "reviewer_user").and_then(|v| v.parse().ok());
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
    old: Option<&str>,
    new: Option<&str>,
    author: Option<&str>,
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
            check_reviewer_change("draft", None, Some("4"), Some("4"))
                .unwrap_err()
                .contains("other than the article's author")
        );
        assert!(
            check_reviewer_change("under_review", Some("2"), Some("3"), Some("4"))
                .unwrap_err()
                .contains("cannot change")
        );
        assert!(check_reviewer_change("draft", Some("2"), Some("3"), Some("4")).is_ok());
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
