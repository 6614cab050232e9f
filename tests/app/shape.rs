//! The shape of the code, read from `src/` as text: layers point one way (only the web layer and the areas'
//! `handlers.rs` reach the web layer or actix).
use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("src").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The code of a line, without its comment.
fn code(line: &str) -> &str {
    line.split("//").next().unwrap_or_default()
}

/// Lines of `text` that reach the web layer or actix.
fn reaches_the_web(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| {
            let code = code(line);
            code.contains("crate::web") || code.contains("actix_") || code.contains("super::web")
        })
        .map(|line| line.trim().to_string())
        .collect()
}

/// A file may reach the web layer if it belongs to it, or is an area's handlers.
fn may_reach_the_web(path: &Path, src: &Path) -> bool {
    let relative = path.strip_prefix(src).expect("under src");
    relative.starts_with("web") || relative.file_name().is_some_and(|name| name == "handlers.rs")
}

#[test]
fn only_the_web_layer_and_the_handlers_reach_the_web_layer_or_actix() {
    // The scan finds what it looks for.
    assert_eq!(reaches_the_web("use crate::web::AppState; // the state"), ["use crate::web::AppState; // the state"]);
    assert_eq!(reaches_the_web("let x = actix_web::web::block(f);").len(), 1);
    assert!(reaches_the_web("// actix workers share the pool").is_empty(), "comments may name it");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = sources(&src);
    assert!(files.len() > 40, "the scan reads the sources: {} files", files.len());
    let offenders: Vec<String> = files
        .iter()
        .filter(|path| !may_reach_the_web(path, &src))
        .flat_map(|path| {
            let text = std::fs::read_to_string(path).expect("source");
            reaches_the_web(&text).into_iter().map(move |line| format!("{}: {line}", path.display()))
        })
        .collect();
    assert!(offenders.is_empty(), "below the web layer, these reach up into it:\n{}", offenders.join("\n"));
}
