/// The product and its version, reported by `spot --version` and `/health`.
public enum HVFLVSPOT {
    public static let version = "0.1.0"
}
