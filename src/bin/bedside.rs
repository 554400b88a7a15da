//! The `bedside` binary: parse arguments, run, print the error. All logic is in the library.
//! On wasm32 (where `wasm-pack test` compiles every target) it is an empty shell.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    use clap::Parser;
    match bedside::cli::run(bedside::cli::Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::from(2)
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}
