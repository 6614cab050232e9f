//! The route table is the one list of routes: the README documents each of them.
use incident_desk::web::routes::ROUTES;

#[test]
fn the_readme_lists_every_route() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for route in ROUTES {
        let row = format!("| {} | `{}` | {} |", route.method, route.path, route.action);
        assert!(readme.contains(&row), "README.md lacks the route row: {row}");
    }
}
