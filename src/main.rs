fn main() -> std::process::ExitCode {
    incident_desk::cli::main()
}
