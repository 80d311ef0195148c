/// The body of `POST …/usage/batch`: `{"events":[…]}`; each item decodes independently, so one bad
/// item yields an error result for that item only.
struct BatchRequest: Decodable, Sendable {
    var events: [BatchItem]
}

/// One batch item: a decoded ``UsageRequest`` or the reason it could not be decoded.
struct BatchItem: Decodable, Sendable {
    var request: Result<UsageRequest, APIError>

    init(from decoder: any Decoder) throws {
        do {
            request = .success(try UsageRequest(from: decoder))
        } catch let error as DecodingError {
            request = .failure(.badRequest(RequestBodyReader.describe(error)))
        } catch {
            request = .failure(.badRequest("invalid event"))
        }
    }
}
