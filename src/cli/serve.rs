//! `careflow serve`: run the service until SIGINT or SIGTERM, then drain and stop.

use crate::app::{App, Extensions};
use crate::config::Settings;

/// Starts the service, prints where it listens (and a bootstrap key made on first
/// start, shown once), and shuts it down gracefully on a signal.
pub async fn serve(settings: Settings) -> Result<(), String> {
    let database = if settings.database.url.is_empty() {
        format!(
            "embedded SQLite at {}",
            settings.database.sqlite_path.display()
        )
    } else if settings.database.url.expose().starts_with("sqlite") {
        "SQLite".to_string()
    } else {
        "PostgreSQL".to_string()
    };
    let app = App::start(settings, Extensions::default())
        .await
        .map_err(|e| e.to_string())?;
    let base = format!("http://{}", app.addr);
    println!("careflow listening on {base} (database: {database})");
    match &app.bootstrap_key {
        Some(key) => {
            println!(
                "Created tenant \"{}\" and an API key. It is shown only this once:",
                key.tenant
            );
            println!("  {}", key.token);
            println!(
                "Try: curl -H \"Authorization: Bearer {}\" {base}/v1/me",
                key.token
            );
        }
        None => println!(
            "Authenticate with `Authorization: Bearer <token>`: an API key (careflow apikey create --tenant NAME) or a JWT."
        ),
    }
    shutdown_signal().await;
    tracing::info!("shutdown requested");
    app.shutdown().await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
