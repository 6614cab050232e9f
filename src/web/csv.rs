//! Streaming CSV downloads.

/// Streams a CSV download. `write` runs on a blocking thread with a connection taken beforehand from the pool the
/// request reads through (`AppState::reading_pool`), so a busy or absent database is a 503, not an empty file, and
/// hands each chunk to its sender, which says whether the reader is still there.
pub async fn download(
    state: &super::AppState,
    filename: &str,
    write: impl FnOnce(&mut diesel::PgConnection, &mut dyn FnMut(Vec<u8>) -> bool) -> diesel::QueryResult<()>
    + Send
    + 'static,
) -> Result<actix_web::HttpResponse, crate::error::AppError> {
    let pool = state.reading_pool().clone();
    let mut conn = actix_web::web::block(move || pool.get()).await??;
    let (sender, receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    tokio::task::spawn_blocking(move || {
        let mut send = |chunk: Vec<u8>| sender.blocking_send(chunk).is_ok();
        if let Err(error) = write(&mut conn, &mut send) {
            tracing::error!(%error, "CSV export failed");
        }
    });
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|chunk| (Ok::<_, actix_web::Error>(actix_web::web::Bytes::from(chunk)), receiver))
    });
    Ok(actix_web::HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{filename}\"")))
        .streaming(body))
}
