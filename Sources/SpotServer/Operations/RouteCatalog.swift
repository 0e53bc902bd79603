import HTTPTypes

/// The API's paths and the methods each takes, read from the OpenAPI document (which a test
/// keeps equal to the router's routes), so a known path asked with another method is a 405.
struct RouteCatalog: Sendable {
    private let routes: [(segments: [Substring], methods: Set<String>)]

    init(document: JSONValue) {
        routes = document.members["paths"]?.members.map { path, operations in
            (path.split(separator: "/"), Set(operations.members.keys.map { $0.uppercased() }))
        } ?? []
    }

    /// The methods a path takes (`{id}` matches any one segment, and a path the router matches
    /// with a literal segment is that route's alone, as the router decides), or nil for a path the API does not have.
    func methods(forPath path: String) -> Set<String>? {
        let segments = path.split(separator: "/")
        let matching = routes.filter { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { $0.0.hasPrefix("{") || $0.0 == $0.1 }
        }
        func literals(_ route: [Substring]) -> Int { route.filter { !$0.hasPrefix("{") }.count }
        guard let most = matching.map({ literals($0.segments) }).max() else { return nil }
        return matching.filter { literals($0.segments) == most }.reduce(into: Set<String>()) { $0.formUnion($1.methods) }
    }
}

extension OpenAPIDocument {
    static let routes = RouteCatalog(document: document)
}

extension HTTPField.Name {
    static let allow = Self("Allow")!
}
