//! What a list page reads from its address besides its own filters: the page number, and the words that refuse a
//! filter value or a sort column the list does not offer. Shared by every list so that they all answer alike.

/// The most pages a list is asked to skip to; beyond it the number is a mistake, not a page.
const LAST_PAGE: i64 = 1_000_000;

/// The page an address asks for (`page`, from 1); absent or blank is the first.
pub fn page_number(text: Option<&str>) -> Result<i64, String> {
    let Some(text) = text.map(str::trim).filter(|text| !text.is_empty()) else { return Ok(1) };
    match text.parse::<i64>() {
        Ok(page) if page > LAST_PAGE => Err(format!("There is no page {page} of this list.")),
        Ok(page) if page >= 1 => Ok(page),
        _ => Err(format!("The page number \"{text}\" is not a whole number from 1.")),
    }
}

/// A page past the end of a list is refused, not shown as if the list were empty: `shown` rows were read for
/// page `page`, of a list of `total` rows when that is known.
pub fn check_page(page: i64, shown: usize, total: Option<i64>, page_size: i64) -> Result<(), String> {
    if page <= 1 || shown > 0 {
        return Ok(());
    }
    Err(match total.map(|total| ((total + page_size - 1) / page_size).max(1)) {
        Some(1) => format!("There is no page {page}: this list has one page."),
        Some(pages) => format!("There is no page {page}: this list has {pages} pages."),
        None => format!("There is no page {page} of this list."),
    })
}

/// A filter value the list does not offer.
pub fn unknown_filter(label: &str, value: &str) -> String {
    format!("The filter {label} cannot be \"{value}\"; choose one of the offered values.")
}

/// A sort column the list does not have.
pub fn unknown_sort(name: &str) -> String {
    format!("The list cannot be sorted by \"{name}\"; use the column headings.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_number_is_a_whole_number_from_one() {
        for (text, read) in [
            (None, Ok(1)),
            (Some(""), Ok(1)),
            (Some(" 3 "), Ok(3)),
            (Some("1000000"), Ok(1_000_000)),
            (Some("0"), Err("The page number \"0\" is not a whole number from 1.")),
            (Some("-2"), Err("The page number \"-2\" is not a whole number from 1.")),
            (Some("1000001"), Err("There is no page 1000001 of this list.")),
            (
                Some("99999999999999999999"),
                Err("The page number \"99999999999999999999\" is not a whole number from 1."),
            ),
            (Some("2.5"), Err("The page number \"2.5\" is not a whole number from 1.")),
            (Some("two"), Err("The page number \"two\" is not a whole number from 1.")),
        ] {
            assert_eq!(page_number(text), read.map_err(String::from), "{text:?}");
        }
    }

    #[test]
    fn a_page_past_the_end_of_a_list_is_refused_with_how_many_pages_there_are() {
        for (page, shown, total, refused) in [
            (1, 0, Some(0), None),
            (2, 50, Some(120), None),
            (3, 20, Some(120), None),
            (4, 0, Some(120), Some("There is no page 4: this list has 3 pages.")),
            (2, 0, Some(8), Some("There is no page 2: this list has one page.")),
            (2, 0, Some(0), Some("There is no page 2: this list has one page.")),
            (7, 0, None, Some("There is no page 7 of this list.")),
        ] {
            assert_eq!(check_page(page, shown, total, 50).err().as_deref(), refused, "page {page} of {total:?}");
        }
    }
}
