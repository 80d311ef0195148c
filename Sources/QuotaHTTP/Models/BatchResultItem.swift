import HTTPTypes
/// One result of a batch: the usage response, or `{"error":{"status","code","message"}}`.
enum BatchResultItem: Encodable, Sendable {
    case success(UsageResponse)
    case failure(APIError)

    enum ErrorKeys: String, CodingKey { case error }
    enum DetailKeys: String, CodingKey { case status, code, message }

    func encode(to encoder: any Encoder) throws {
        switch self {
        case .success(let response):
            try response.encode(to: encoder)
        case .failure(let error):
            var outer = encoder.container(keyedBy: ErrorKeys.self)
            var inner = outer.nestedContainer(keyedBy: DetailKeys.self, forKey: .error)
            try inner.encode(Int(error.status.code), forKey: .status)
            try inner.encode(error.code, forKey: .code)
            try inner.encode(error.message, forKey: .message)
        }
    }
}

extension BatchResultItem {
    /// The item as a ``JSONFragment``.
    var fragment: JSONFragment {
        switch self {
        case .success(let response):
            return response.fragment
        case .failure(let error):
            return .object(["error": .object([
                "status": .int(Int(error.status.code)), "code": .string(error.code), "message": .string(error.message),
            ])])
        }
    }
}
