//! The `forms` binary. Everything it does lives in the library.

fn main() -> std::process::ExitCode {
    forms_server::cli::main()
}
