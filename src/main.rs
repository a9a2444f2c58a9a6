//! The `careflow` binary: the command line lives in [`careflow::cli`].

use std::process::ExitCode;

fn main() -> ExitCode {
    careflow::cli::main()
}
