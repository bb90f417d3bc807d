//! Runs every `*.sfn.yaml` table file under `tests/`, one trial per case.

fn main() {
    sfn_test::table::main("tests");
}
