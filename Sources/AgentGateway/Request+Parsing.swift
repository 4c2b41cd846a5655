import AgentRuntime
import Hummingbird

/// Reading request bodies and paging parameters, with the API's error envelope on failure.
extension Request {
    /// The body's bytes; 413 past the context's upload limit.
    func bytes(context: GatewayContext) async throws -> [UInt8] {
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: context.maxUploadSize)
        } catch {
            throw GatewayError(.payloadTooLarge, "the request body is larger than \(context.maxUploadSize) bytes")
        }
        return Array(buffer.readableBytesView)
    }

    /// The body as JSON (an empty body is `{}`); 400 when it is not JSON, 413 past the upload limit.
    func json(context: GatewayContext) async throws -> JSONValue {
        let bytes = try await bytes(context: context)
        guard !bytes.isEmpty else { return [:] }
        do {
            return try JSONParser.value(bytes)
        } catch {
            throw GatewayError(
                .validation, "the body is not valid JSON: \(error)",
                details: [["field": "", "message": .string(error.description)]])
        }
    }

    /// `?page=` (1–1,000,000, default 1) and `?limit=` (1–200, default 20); 400 outside those bounds. `openapi.json`
    /// documents the same bounds (a test checks them).
    func page() throws -> (page: Int, limit: Int) {
        let page = Int(uri.queryParameters.get("page") ?? "1") ?? 0
        let limit = Int(uri.queryParameters.get("limit") ?? "20") ?? 0
        guard (1...1_000_000).contains(page), (1...200).contains(limit) else {
            throw GatewayError(
                .validation, "page must be 1–1000000 and limit 1–200",
                details: [["field": "page", "message": "1–1000000"], ["field": "limit", "message": "1–200"]])
        }
        return (page, limit)
    }
}
