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

/// Lines of `text` that reach the web layer or actix: by path, or as a name in a grouped import
/// (`use crate::{users, web};`, also over several lines).
fn reaches_the_web(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    // The grouped `use crate::{` or `use super::{` being read, if any, and its text so far.
    let mut group: Option<String> = None;
    for line in text.lines() {
        let code = code(line);
        if code.contains("crate::web") || code.contains("actix_") || code.contains("super::web") {
            found.push(line.trim().to_string());
            continue;
        }
        let trimmed = code.trim();
        if group.is_none() && (trimmed.starts_with("use crate::{") || trimmed.starts_with("use super::{")) {
            group = Some(String::new());
        }
        if let Some(text) = group.as_mut() {
            text.push_str(trimmed);
            text.push(' ');
            if trimmed.ends_with(';') {
                let names = text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'));
                if names.filter(|name| !name.is_empty()).any(|name| name == "web" || name.starts_with("web::")) {
                    found.push(text.trim().to_string());
                }
                group = None;
            }
        }
    }
    found
}

/// Whether a file holds an area's handlers: its `handlers.rs`, or a file of its `handlers/` folder.
fn is_handlers(relative: &Path) -> bool {
    relative.file_name().is_some_and(|name| name == "handlers.rs")
        || relative.parent().is_some_and(|folder| folder.ends_with("handlers"))
}

/// A file may reach the web layer if it belongs to it, holds an area's handlers, or is the entry point above all
/// layers: the binary and the command line it runs, which starts the server.
fn may_reach_the_web(path: &Path, src: &Path) -> bool {
    let relative = path.strip_prefix(src).expect("under src");
    relative.starts_with("web")
        || is_handlers(relative)
        || relative == Path::new("main.rs")
        || relative == Path::new("cli.rs")
}

#[test]
fn only_the_web_layer_and_the_handlers_reach_the_web_layer_or_actix() {
    // The scan finds what it looks for.
    assert_eq!(reaches_the_web("use crate::web::AppState; // the state"), ["use crate::web::AppState; // the state"]);
    assert_eq!(reaches_the_web("let x = actix_web::web::block(f);").len(), 1);
    assert!(reaches_the_web("// actix workers share the pool").is_empty(), "comments may name it");
    assert_eq!(reaches_the_web("use crate::{users, web};").len(), 1, "a grouped import");
    assert_eq!(reaches_the_web("use crate::{\n    users,\n    web::AppState,\n};").len(), 1, "over several lines");
    assert!(reaches_the_web("use crate::{users, webhooks};").is_empty(), "only the web module");
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

/// What may be written into SQL text with `format!`: identifiers and fragments from fixed lists in the code (tables,
/// keys, columns, field names, SQL types, constants, fragments built the same way), never a value that comes from a
/// request, a record or the clock; those are bound. Each entry names the expression as it is written.
const WRITTEN_INTO_SQL: &[&str] = &[
    // Tables, keys and columns of the record descriptions and the fixed lists of the modules.
    "table",
    "key",
    "column",
    "field",
    "name",
    "stopped",
    "actor",
    "order",
    "head",
    "sql_type",
    "resource.table",
    "resource.key",
    "target.key",
    "target.label",
    "target.table",
    "field.name",
    "t.name",
    "table.name",
    "index.name",
    "constraint.table_name",
    "constraint.name",
    "definition",
    "kind",
    "pk",
    "resource.title",
    "fields",
    "values",
    "names.join(\", \")",
    // SQL fragments put together from such lists.
    "snapshots()",
    "crate::records::kinds::reports::snapshots()",
    "related_joins.join(\" \")",
    "related_fields",
    "person(\"old_value\", \"old_person\")",
    "person(\"new_value\", \"new_person\")",
    "columns",
    "select",
    "joins",
    "share",
    "unit",
    "part",
    "shown",
    "code",
    "if carried { \" AND r.snapshot IS NULL\" } else { \"\" }",
    // Numbers the code chooses (page sizes, lock keys), written so PostgreSQL plans them (`db::prepared::Limited`).
    "limit",
    "self.limit",
    "chain::LOCK_KEY",
    // The name of the database `serve` creates, from its own configuration, quoted as an identifier.
    "database.replace('\"', \"\\\"\\\"\")",
];

/// The SQL keywords that tell a `format!` builds SQL text.
const SQL_WORDS: &[&str] = &[
    "SELECT ",
    "FROM ",
    "WHERE ",
    "JOIN ",
    "ORDER BY",
    "LIMIT ",
    "INSERT ",
    "UPDATE ",
    "DELETE ",
    " SET ",
    "VALUES",
    "ALTER ",
    "DROP ",
    "CREATE ",
    "UNION ",
    "RETURNING ",
    "IS NULL",
    "IS NOT DISTINCT",
    " AS ",
    " IN (",
    "ANY(",
];

/// The end of the string literal that starts at `start` (just after its opening quote), and its text.
fn literal(text: &str, start: usize) -> Option<(usize, String)> {
    let bytes = text.as_bytes();
    let (mut at, mut out) = (start, String::new());
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => {
                // A line continuation skips the line break and the next line's indentation.
                if bytes.get(at + 1) == Some(&b'\n') {
                    at += 2;
                    while bytes.get(at) == Some(&b' ') {
                        at += 1;
                    }
                    continue;
                }
                out.push(char::from(*bytes.get(at + 1)?));
                at += 2;
            }
            b'"' => return Some((at + 1, out)),
            _ => {
                let c = text[at..].chars().next()?;
                out.push(c);
                at += c.len_utf8();
            }
        }
    }
    None
}

/// The arguments after a `format!`'s literal, up to its closing parenthesis, split at top-level commas.
fn arguments(text: &str, from: usize) -> Vec<String> {
    let (mut depth, mut current, mut args, mut quoted) = (0i32, String::new(), Vec::new(), false);
    let mut chars = text[from..].chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            '\\' if quoted => {
                current.push(c);
                current.extend(chars.next());
                continue;
            }
            '(' | '[' | '{' if !quoted => depth += 1,
            ')' | ']' | '}' if !quoted && depth == 0 => break,
            ')' | ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                args.push(current.trim().to_string());
                current.clear();
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    args.push(current.trim().to_string());
    args.into_iter().filter(|a| !a.is_empty()).collect()
}

/// The expressions a `format!` literal writes in: `{name}` inline, `{}` and `{0}` from the arguments, and
/// `{x = expr}` as the named argument's expression.
fn interpolated(literal: &str, args: &[String]) -> Vec<String> {
    let named = |name: &str| {
        args.iter()
            .find_map(|a| a.strip_prefix(name).and_then(|rest| rest.trim_start().strip_prefix('=')).map(str::trim))
            .map(str::to_string)
    };
    let positional: Vec<&String> = args.iter().filter(|a| !a.contains(" = ") || a.starts_with('"')).collect();
    let (mut found, mut next) = (Vec::new(), 0);
    let mut rest = literal.replace("{{", "").replace("}}", "");
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        let inside = rest[open + 1..open + close].split(':').next().unwrap_or_default().trim().to_string();
        found.push(if inside.is_empty() {
            next += 1;
            positional.get(next - 1).map_or("?".to_string(), |a| a.to_string())
        } else if let Ok(index) = inside.parse::<usize>() {
            positional.get(index).map_or("?".to_string(), |a| a.to_string())
        } else {
            named(&inside).unwrap_or(inside)
        });
        rest = rest[open + close + 1..].to_string();
    }
    found
}

/// Whether `text` holds the SQL keyword `word` as a word of its own (`MAIL_FROM` is not `FROM`).
fn has_sql_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(at, _)| {
        !word.starts_with(char::is_alphabetic)
            || text[..at].chars().next_back().is_none_or(|c| !(c.is_alphanumeric() || c == '_'))
    })
}

/// A column of the scope's table, named in the code: `column("client_id")`.
fn names_a_column(expression: &str) -> bool {
    expression
        .strip_prefix("column(\"")
        .and_then(|rest| rest.strip_suffix("\")"))
        .is_some_and(|name| name.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
}

/// Each `format!` of `text` that writes an expression outside `WRITTEN_INTO_SQL` into SQL text, as
/// "expression in: literal".
fn values_written_into_sql(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("format!(") {
        let after = at + "format!(".len();
        let Some(open) = text[after..].find('"').map(|i| after + i) else { continue };
        if !text[after..open].trim().is_empty() {
            continue;
        }
        let Some((end, sql)) = literal(text, open + 1) else { continue };
        let compares = ["= {", "> {", "< {", "= '{"].iter().any(|p| sql.contains(p)) || sql.trim_end().ends_with('=');
        if !SQL_WORDS.iter().any(|word| has_sql_word(&sql, word)) && !compares {
            continue;
        }
        for expression in interpolated(&sql, &arguments(text, end)) {
            if !WRITTEN_INTO_SQL.contains(&expression.as_str())
                && !names_a_column(&expression)
                && !expression.chars().all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
            {
                found.push(format!("{expression} in: {}", sql.trim()));
            }
        }
    }
    found
}

#[test]
fn no_sql_text_is_built_with_format_from_a_runtime_value() {
    // The scan finds what it looks for, and lets identifiers and constants through.
    let written = values_written_into_sql(
        r#"let sql = format!("SELECT * FROM incidents WHERE client_id = {client_id} AND status = '{}'", status);"#,
    );
    assert_eq!(written.len(), 2, "{written:?}");
    assert!(written[0].starts_with("client_id in: SELECT") && written[1].starts_with("status in:"), "{written:?}");
    assert_eq!(values_written_into_sql(r#"format!("UPDATE {} SET status = ", resource.table)"#), Vec::<String>::new());
    assert_eq!(values_written_into_sql(r#"format!(" ORDER BY {key} LIMIT {BATCH}")"#), Vec::<String>::new());
    assert_eq!(values_written_into_sql(r#"format!("{table}.{field} = ")"#), Vec::<String>::new());
    assert_eq!(
        values_written_into_sql(r#"format!("incident_id = {id}")"#),
        ["id in: incident_id = {id}"],
        "a condition with an id written in"
    );
    assert!(values_written_into_sql(r#"format!("The end date must be after {start}.")"#).is_empty(), "not SQL");
    assert!(values_written_into_sql(r#"format!("MAIL_FROM must be an address ({e})")"#).is_empty(), "not SQL");
    assert_eq!(values_written_into_sql(r#"format!("{} = ", column("client_id"))"#), Vec::<String>::new());
    assert_eq!(values_written_into_sql(r#"format!("{} = ", column(name))"#).len(), 1, "a column named at run time");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let written: Vec<String> = sources(&src)
        .iter()
        .filter(|path| !path.ends_with("demo.rs"))
        .flat_map(|path| {
            let text = std::fs::read_to_string(path).expect("source");
            values_written_into_sql(&text).into_iter().map(move |w| format!("{}: {w}", path.display()))
        })
        .collect();
    assert!(written.is_empty(), "values written into SQL text (bind them instead):\n{}", written.join("\n"));
}
