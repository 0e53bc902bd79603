/// A benchmark, seeding or demo step that failed; the CLI reports its message as one line.
public struct ToolingError: Error, CustomStringConvertible {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}
