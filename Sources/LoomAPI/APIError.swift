// APIError: every failure the API reports, with the HTTP status Ollama uses for it (§1.3). The
// server maps it to `{"error": message}`; the message is Ollama's wording where the API reference
// gives one.

/// An error answered to an API client.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// HTTP status (400, 404, 499, 500, 503, …).
    public var status: Int
    /// The `error` string of the response body.
    public var message: String

    public init(status: Int, _ message: String) {
        self.status = status
        self.message = message
    }

    public var description: String { message }

    /// 400 with `message`.
    public static func badRequest(_ message: String) -> APIError { APIError(status: 400, message) }
    /// 404 with `message`.
    public static func notFound(_ message: String) -> APIError { APIError(status: 404, message) }
    /// 500 with `message`.
    public static func internalError(_ message: String) -> APIError { APIError(status: 500, message) }
    /// 503: the pending-request queue is full.
    public static let busy = APIError(status: 503, "server busy, please try again.  maximum pending requests exceeded")
    /// 400: an empty body.
    public static let missingBody = APIError(status: 400, "missing request body")
}
