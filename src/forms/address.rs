//! What a list page reads from its address besides its own filters: the page number, and the words that refuse a
//! filter value or a sort column the list does not offer. Shared by every list so that they all answer alike.

/// The most pages a list is asked to skip to; beyond it the number is a mistake, not a page.
const LAST_PAGE: i64 = 1_000_000;

/// The page an address asks for (`page`, from 1); absent or blank is the first.
pub fn page_number(text: Option<&str>) -> Result<i64, String> {
    match text.map(str::trim).filter(|text| !text.is_empty()) {
        None => Ok(1),
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|page| (1..=LAST_PAGE).contains(page))
            .ok_or_else(|| format!("The page number \"{text}\" is not a whole number from 1.")),
    }
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
            (Some("1000001"), Err("The page number \"1000001\" is not a whole number from 1.")),
            (Some("2.5"), Err("The page number \"2.5\" is not a whole number from 1.")),
            (Some("two"), Err("The page number \"two\" is not a whole number from 1.")),
        ] {
            assert_eq!(page_number(text), read.map_err(String::from), "{text:?}");
        }
    }
}
