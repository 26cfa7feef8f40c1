fn main() {
    std::process::exit(actiondesk::cli::main());
}
