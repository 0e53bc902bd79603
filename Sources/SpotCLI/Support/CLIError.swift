/// An error the CLI reports as one line on standard error, with its exit status.
struct CLIError: Error {
    static let usageExitCode: Int32 = 2
    static let failureExitCode: Int32 = 1

    let message: String
    let exitCode: Int32

    /// Bad options or input files: exit status 2.
    static func usage(_ message: String) -> CLIError { CLIError(message: message, exitCode: usageExitCode) }

    /// An operation that failed: exit status 1.
    static func failure(_ message: String) -> CLIError { CLIError(message: message, exitCode: failureExitCode) }
}
