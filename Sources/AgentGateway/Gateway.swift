/// The HTTP service for the platform's API gateway.
///
/// The Hummingbird routes land with the gateway issue; until then this module
/// only names the API version the routes will live under.
public enum Gateway {
    /// The path prefix of every authenticated route.
    public static let apiPrefix = "/v1"
}
