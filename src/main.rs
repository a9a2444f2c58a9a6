//! careflow command line: `serve` (default), `migrate`, `apikey create|revoke`.

use std::process::ExitCode;

use careflow::app::{App, Extensions, open_store};
use careflow::auth::api_key;
use careflow::config::Settings;
use careflow::store::TenantId;

const USAGE: &str = "\
usage: careflow [serve]                          run the service (default)
       careflow migrate                          apply database migrations and exit
       careflow apikey create --tenant NAME [--label TEXT]
                                                 create an API key (printed once)
       careflow apikey revoke KEY_ID             revoke an API key
       careflow --help | --version

Settings come from config/default.toml, config/$CAREFLOW_ENV.toml and CAREFLOW_*
environment variables (see config/default.toml); DATABASE_URL selects PostgreSQL.";

enum Command {
    Serve,
    Migrate,
    CreateKey { tenant: String, label: String },
    RevokeKey { key_id: String },
    Help,
    Version,
}

fn parse(args: &[String]) -> Result<Command, String> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["serve"] => Ok(Command::Serve),
        ["migrate"] => Ok(Command::Migrate),
        ["--help" | "-h" | "help"] => Ok(Command::Help),
        ["--version" | "-V"] => Ok(Command::Version),
        ["apikey", "revoke", id] => Ok(Command::RevokeKey {
            key_id: id.to_string(),
        }),
        ["apikey", "create", rest @ ..] => {
            let (mut tenant, mut label) = (None, "cli".to_string());
            let mut it = rest.iter();
            while let Some(flag) = it.next() {
                match (*flag, it.next()) {
                    ("--tenant", Some(v)) => tenant = Some(v.to_string()),
                    ("--label", Some(v)) => label = v.to_string(),
                    (f, _) => return Err(format!("unknown or incomplete option `{f}`")),
                }
            }
            let tenant = tenant.ok_or("apikey create needs --tenant NAME")?;
            Ok(Command::CreateKey { tenant, label })
        }
        [other, ..] => Err(format!("unknown command or option `{other}`")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("careflow: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Help => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Command::Version => {
            println!("careflow {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        _ => {}
    }
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("careflow: {e}");
            return ExitCode::from(1);
        }
    };
    if let Err(e) = careflow::telemetry::init(&settings.log) {
        eprintln!("careflow: {e}");
        return ExitCode::from(1);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("careflow: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(command, settings)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // In the log for collectors, and on stderr for whoever started the command.
            tracing::error!(error = %e, "careflow stopped with an error");
            eprintln!("careflow: {e}");
            ExitCode::from(1)
        }
    }
}

async fn run(command: Command, settings: Settings) -> Result<(), String> {
    match command {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            open_store(&settings)
                .await
                .map_err(|e| format!("migration failed: {e}"))?;
            println!("migrations applied");
            Ok(())
        }
        Command::CreateKey { tenant, label } => {
            let tenant = TenantId::parse(&tenant).map_err(|e| format!("--tenant: {e}"))?;
            let store = open_store(&settings).await.map_err(|e| e.to_string())?;
            let key = api_key::create(store.as_ref(), &tenant, &label)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "key id:  {}\ntenant:  {}\ntoken:   {}",
                key.key_id, key.tenant, key.token
            );
            println!("The token is shown once and stored only as a hash; keep it safe.");
            Ok(())
        }
        Command::RevokeKey { key_id } => {
            let id = uuid::Uuid::try_parse(&key_id)
                .map_err(|_| format!("`{key_id}` is not a key id"))?;
            let store = open_store(&settings).await.map_err(|e| e.to_string())?;
            let now = chrono::Utc::now();
            if store
                .revoke_api_key(id, now)
                .await
                .map_err(|e| e.to_string())?
            {
                println!("revoked {id}");
                Ok(())
            } else {
                Err(format!("no active API key with id {id}"))
            }
        }
        Command::Help | Command::Version => Ok(()),
    }
}

async fn serve(settings: Settings) -> Result<(), String> {
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
