//! Built for triage (issue 17) over HTTP: compressed answers, words rather than codes, dashboards that match their
//! lists, the workflow as buttons, and saved views.
use crate::fixtures::{self, world};
use crate::support::*;
use incident_desk::domain::enums::Role;

#[tokio::test]
async fn answers_are_compressed_when_the_browser_accepts_it_and_plain_otherwise() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let w = world(&mut conn);
    fixtures::incident(&mut conn, "Compressed queue stall", w.client_a, w.component, "open");
    let manager = app.signed_in(w.emails[&Role::IncidentManager]).await;
    for path in ["/incidents", "/", "/static/app.css", "/incidents.csv"] {
        let gzipped = manager.client.get(manager.url(path)).header("accept-encoding", "gzip").send().await.unwrap();
        assert_eq!(gzipped.status(), 200, "{path}");
        assert_eq!(gzipped.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"), "{path}");
        let plain = manager.get(path).await;
        assert!(plain.headers().get("content-encoding").is_none(), "{path}: plain without Accept-Encoding");
        let compressed = gzipped.bytes().await.unwrap().len();
        let whole = plain.bytes().await.unwrap().len();
        assert!(compressed < whole, "{path}: {compressed} bytes gzipped against {whole}");
    }
}
