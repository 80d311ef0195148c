/// The body of `POST …/usage/batch`: `{"events":[…]}`; each item decodes independently, so one bad
/// item yields an error result for that item only.
struct BatchRequest: Decodable, Sendable {
    var events: [BatchItem]

    /// `{"events":[<usage request>…]}`.
    static let keySchema: JSONKeySchema = .object(["events": .array(UsageRequest.keySchema)])
}

/// A batch child task's answer: the item's position in its wave and its result.
struct BatchOutcome: Sendable {
    var position: Int
    var result: BatchResultItem
}

/// One batch item: a decoded ``UsageRequest`` or the reason it could not be decoded.
struct BatchItem: Decodable, Sendable {
    var request: Result<UsageRequest, APIError>

    init(from decoder: any Decoder) throws {
        do {
            request = .success(try UsageRequest(from: decoder))
        } catch let error as DecodingError {
            request = .failure(.badRequest(RequestBodyReader.describe(error)))
        } catch let error as APIError {
            request = .failure(error)
        } catch {
            request = .failure(.badRequest("invalid event"))
        }
    }
}
