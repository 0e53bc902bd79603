import PostgresNIO
@testable import SpotServer
import Testing

@Suite("Prepared statements")
struct PreparedTests {
    private enum First: PreparedSQL { static let text = "SELECT 1" }
    private enum Second: PreparedSQL { static let text = "SELECT 2" }
    private enum SameAsFirst: PreparedSQL { static let text = "SELECT 1" }

    /// PostgreSQL cuts names at 63 bytes: the default name (the Swift type's full name) made two
    /// statements declared in one type one name, and the second failed with "already exists".
    @Test("Each text has its own name within PostgreSQL's 63 bytes")
    func names() {
        #expect(Prepared<First>.name != Prepared<Second>.name)
        #expect(Prepared<First>.name == Prepared<SameAsFirst>.name)
        #expect(Prepared<First>.name.utf8.count <= 63 && Prepared<Second>.name.utf8.count <= 63)
    }

    @Test("The values interpolated are the statement's bindings, in order")
    func bindings() throws {
        let statement = Prepared<Second>("\(7)\("x")")
        #expect(try statement.makeBindings().count == 2)
    }
}
