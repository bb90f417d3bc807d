//! The `sfn-test` command line; see `sfn-test --help`.

fn main() -> std::process::ExitCode {
    sfn_test::cli::main()
}
