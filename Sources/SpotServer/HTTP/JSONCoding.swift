import Foundation
import SpotSync

/// The API's JSON conventions — the same as the sync protocol's (``SyncJSON``):
/// snake_case keys on the wire, idiomatic Swift names in code, ISO 8601 dates, sorted keys.
enum JSONCoding {
    static var encoder: JSONEncoder { SyncJSON.encoder }
    static var decoder: JSONDecoder { SyncJSON.decoder }

    static func snakeCase(_ name: String) -> String { SyncJSON.snakeCase(name) }
    static func camelCase(_ name: String) -> String { SyncJSON.camelCase(name) }
}
