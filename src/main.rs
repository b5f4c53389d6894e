//! The `bosun` binary: everything lives in the library; see `bosun::cli`.

fn main() -> std::process::ExitCode {
    bosun::cli::main()
}
