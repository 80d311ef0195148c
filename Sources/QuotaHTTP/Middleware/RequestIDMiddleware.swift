public import HTTPTypes
public import Hummingbird
import Logging
import Synchronization

/// The outermost middleware: gives every request an id (the client's `X-Request-Id` when it is 1–128
/// printable ASCII characters, else a generated one), puts it in the logger metadata as `request.id`,
/// and echoes it on every response — errors included.
public struct RequestIDMiddleware: RouterMiddleware {
    public typealias Context = QuotaRequestContext

    /// The header carrying the id.
    public static let header = HTTPField.Name("X-Request-Id")!

    /// Creates the middleware.
    public init() {}

    public func handle(
        _ request: Request, context: QuotaRequestContext, next: (Request, QuotaRequestContext) async throws -> Response
    ) async throws -> Response {
        var context = context
        let id = request.headers[Self.header].flatMap(Self.acceptable) ?? Self.generate()
        context.requestID = id
        context.logger[metadataKey: "request.id"] = .string(id)
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = (try? error.response(from: request, context: context)) ?? APIError.internalError().makeResponse()
        } catch {
            context.logger.error("unhandled error", metadata: ["error.type": "\(String(reflecting: type(of: error)))"])
            response = APIError.internalError().makeResponse()
        }
        response.headers[Self.header] = id
        return response
    }

    static func acceptable(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count), value.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else { return nil }
        return value
    }

    /// A process-random prefix plus a counter: unique per process, cheap (no syscall per request).
    static func generate() -> String {
        let sequence = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        let hex = String(sequence, radix: 16)
        return prefix + String(repeating: "0", count: max(0, 16 - hex.count)) + hex
    }

    private static let prefix: String = {
        var generator = SystemRandomNumberGenerator()
        let value = UInt32.random(in: .min ... .max, using: &generator)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }()
    private static let counter = Atomic<UInt64>(UInt64.random(in: 0...UInt64(UInt32.max)))
}
