//! The shape of the code, read from `src/` as text: layers point one way (only the web layer and the areas'
//! handlers reach the web layer or actix), and no handler file grows past what a reader takes in.
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

/// Whether a file holds an area's handlers: its `handlers.rs`, or a file of its `handlers/` folder.
fn is_handlers(relative: &Path) -> bool {
    relative.file_name().is_some_and(|name| name == "handlers.rs")
        || relative.parent().is_some_and(|folder| folder.ends_with("handlers"))
}

/// A file may reach the web layer if it belongs to it, or holds an area's handlers.
fn may_reach_the_web(path: &Path, src: &Path) -> bool {
    let relative = path.strip_prefix(src).expect("under src");
    relative.starts_with("web") || is_handlers(relative)
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

/// The most lines a handlers file may have: past it, a file is split by page (as `incidents/handlers/` is).
const HANDLER_FILE_LINES: usize = 400;

#[test]
fn no_handlers_file_is_over_four_hundred_lines() {
    assert!(is_handlers(Path::new("incidents/handlers/actions.rs")) && is_handlers(Path::new("auth/handlers.rs")));
    assert!(!is_handlers(Path::new("incidents/service.rs")));
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let handlers: Vec<PathBuf> =
        sources(&src).into_iter().filter(|path| is_handlers(path.strip_prefix(&src).expect("under src"))).collect();
    assert!(handlers.len() > 10, "the scan finds the handlers: {} files", handlers.len());
    let long: Vec<String> = handlers
        .iter()
        .filter_map(|path| {
            let lines = std::fs::read_to_string(path).expect("source").lines().count();
            (lines > HANDLER_FILE_LINES).then(|| format!("{}: {lines} lines", path.display()))
        })
        .collect();
    assert!(long.is_empty(), "handler files over {HANDLER_FILE_LINES} lines:\n{}", long.join("\n"));
}
