//! The `careflow` command line: `serve` (the default), `migrate`, `apikey` and `runs`.
//!
//! Every command reads the same settings as the service (so `careflow runs list`
//! looks at the database the service uses), and every command that prints data can
//! print it as JSON with `--json` for scripts, or as a table for people.

mod apikeys;
mod runs;
mod serve;
mod table;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::Settings;

const SETTINGS_HELP: &str = "\
Settings come from config/default.toml, config/$CAREFLOW_ENV.toml and CAREFLOW_*
environment variables (see config/default.toml); DATABASE_URL selects the database.";

/// Durable workflow orchestration for clinical operations.
#[derive(Debug, Parser)]
#[command(name = "careflow", version, after_help = SETTINGS_HELP)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the service (the default when no command is given)
    Serve,
    /// Apply pending database migrations and exit
    Migrate,
    /// Create, list and revoke API keys
    #[command(subcommand)]
    Apikey(ApiKeyCommand),
    /// List, show, cancel and retry a tenant's runs
    #[command(subcommand)]
    Runs(RunsCommand),
    /// Print the API description (OpenAPI 3.1 JSON); `careflow openapi > openapi.json`
    /// refreshes the committed copy
    Openapi,
}

/// `careflow apikey ...`
#[derive(Debug, Subcommand)]
pub(crate) enum ApiKeyCommand {
    /// Create an API key for a tenant (created if new); the token is shown once
    Create {
        /// The tenant the key acts for
        #[arg(long, value_name = "NAME")]
        tenant: String,
        /// A label to recognise the key by
        #[arg(long, value_name = "TEXT", default_value = "cli")]
        label: String,
        #[command(flatten)]
        output: Output,
    },
    /// List API keys (ids, tenants, labels, dates; never tokens)
    List {
        /// Only the keys of this tenant
        #[arg(long, value_name = "NAME")]
        tenant: Option<String>,
        #[command(flatten)]
        output: Output,
    },
    /// Revoke an API key: requests with it are refused from now on
    Revoke {
        /// The key's id, as `apikey create` and `apikey list` show it
        key_id: String,
        #[command(flatten)]
        output: Output,
    },
}

/// `careflow runs ...`
#[derive(Debug, Subcommand)]
pub(crate) enum RunsCommand {
    /// A tenant's runs, newest first
    List {
        #[command(flatten)]
        tenant: TenantArg,
        /// Only runs of this workflow
        #[arg(long, value_name = "NAME")]
        workflow: Option<String>,
        /// Only runs in this status (queued, running, sleeping, waiting, completed,
        /// failed, cancelled)
        #[arg(long, value_name = "STATUS")]
        status: Option<String>,
        /// Only runs with this correlation id
        #[arg(long, value_name = "ID")]
        correlation_id: Option<String>,
        /// How many runs to show, 1 to 100
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(i64).range(1..=100))]
        limit: i64,
        /// Only runs older than this one (the next page starts after the last run shown)
        #[arg(long, value_name = "RUN_ID")]
        before: Option<String>,
        #[command(flatten)]
        output: Output,
    },
    /// One run with its steps
    Show {
        /// The run's id
        run_id: String,
        #[command(flatten)]
        tenant: TenantArg,
        #[command(flatten)]
        output: Output,
    },
    /// Cancel a run that has not finished (its workflow's cancellation hook runs)
    Cancel {
        /// The run's id
        run_id: String,
        #[command(flatten)]
        tenant: TenantArg,
        #[command(flatten)]
        output: Output,
    },
    /// Run a failed or cancelled run again from its unfinished steps
    Retry {
        /// The run's id
        run_id: String,
        #[command(flatten)]
        tenant: TenantArg,
        #[command(flatten)]
        output: Output,
    },
}

/// The tenant whose runs a command reads or changes.
#[derive(Debug, Args)]
pub(crate) struct TenantArg {
    /// The tenant that owns the runs
    #[arg(long, value_name = "NAME")]
    tenant: String,
}

/// How a command prints its result.
#[derive(Debug, Args, Clone, Copy)]
pub(crate) struct Output {
    /// Print JSON (the API's shapes) instead of a table
    #[arg(long)]
    json: bool,
}

impl Output {
    /// Prints `value` as JSON, or `text()` for people.
    fn print(self, value: &impl serde::Serialize, text: impl FnOnce() -> String) {
        if self.json {
            match serde_json::to_string_pretty(value) {
                Ok(json) => println!("{json}"),
                Err(e) => eprintln!("careflow: cannot write JSON: {e}"),
            }
        } else {
            print!("{}", text());
        }
    }
}

/// Runs the command line with the process's arguments and returns its exit code:
/// 0 on success, 1 when the command failed, 2 for a wrong command line.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version are answers, not errors: clap prints them to standard
            // output and exits 0; mistakes go to standard error with exit code 2.
            let _ = e.print();
            if !e.use_stderr() {
                return ExitCode::SUCCESS;
            }
            eprintln!("careflow: see `careflow --help` for usage");
            return ExitCode::from(2);
        }
    };
    // The description needs no settings, and nothing may log into what it prints.
    if matches!(cli.command, Some(Command::Openapi)) {
        print!("{}", crate::http::openapi::to_pretty_json());
        return ExitCode::SUCCESS;
    }
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("careflow: {e}");
            return ExitCode::from(1);
        }
    };
    // What the layers read into their own types, so every command (`migrate` too)
    // refuses a wrong value as loading does.
    if let Err(e) = crate::app::check_settings(&settings) {
        eprintln!("careflow: invalid setting: {e}");
        return ExitCode::from(1);
    }
    if let Err(e) = crate::telemetry::init(&settings.log) {
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
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve), settings)) {
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
        Command::Serve => serve::serve(settings).await,
        Command::Migrate => {
            crate::app::open_store(&settings)
                .await
                .map_err(|e| format!("migration failed: {e}"))?;
            println!("migrations applied");
            Ok(())
        }
        Command::Apikey(command) => apikeys::run(command, &settings).await,
        Command::Runs(command) => runs::run(command, settings).await,
        Command::Openapi => {
            print!("{}", crate::http::openapi::to_pretty_json());
            Ok(())
        }
    }
}

/// Parses `--tenant`, naming the flag in the error.
fn tenant(name: &str) -> Result<crate::store::TenantId, String> {
    crate::store::TenantId::parse(name).map_err(|e| format!("--tenant: {e}"))
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn flags_take_their_value_after_a_space_or_an_equals_sign() {
        let spaced: &[&str] = &["careflow", "apikey", "list", "--tenant", "north"];
        let joined: &[&str] = &["careflow", "apikey", "list", "--tenant=north"];
        for args in [spaced, joined] {
            let cli = Cli::try_parse_from(args).unwrap();
            assert!(matches!(
                cli.command,
                Some(Command::Apikey(ApiKeyCommand::List { tenant: Some(ref t), .. })) if t == "north"
            ));
        }
    }

    #[test]
    fn no_command_means_serve() {
        assert!(Cli::try_parse_from(["careflow"]).unwrap().command.is_none());
    }
}
