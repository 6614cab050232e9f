//! CSV lines for exports.

/// One CSV line. A cell that a spreadsheet would run as a formula is prefixed with an apostrophe.
pub fn line(cells: impl IntoIterator<Item = String>) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let cells: Vec<String> = cells
        .into_iter()
        .map(|c| if c.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{c}") } else { c })
        .collect();
    writer.write_record(&cells).expect("writing to memory");
    writer.into_inner().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_are_quoted_and_formulas_neutralised() {
        assert_eq!(super::line(["a,b".to_string(), "=1+1".to_string(), "plain".to_string()]), b"\"a,b\",'=1+1,plain\n");
    }
}
