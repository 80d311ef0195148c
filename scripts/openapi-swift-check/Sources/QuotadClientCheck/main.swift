import OpenAPIRuntime

/// A reservation and its commit through the generated `APIProtocol`: compiles only if the operations and
/// their bodies are generated as typed (the check builds this; nothing calls it).
func reserveAndCommit(_ api: some APIProtocol) async throws -> Int? {
    let reserved = try await api.reserve(
        path: .init(tenant: "acme"),
        body: .json(.init(user: "alice", model: "gpt-4o", input_tokens: 10, max_output_tokens: 10)))
    switch reserved {
    case .created(let created):
        guard let id = try created.body.json.reservation_id else { return nil }
        let committed = try await api.commitReservation(
            path: .init(tenant: "acme", id: id),
            body: .json(.init(user: "alice", event_id: "call-1", model: "gpt-4o")))
        switch try committed.ok.body.json {
        case .UsageResponse(let full): return full.cost_nano_usd
        case .UsageResponseMinimal(let minimal): return minimal.cost_nano_usd
        }
    case .tooManyRequests(let refused):
        _ = (try refused.body.json.error.value1.code, try refused.body.json.error.value2.level, try refused.body.json.limit?.name)
        return nil
    default:
        return nil
    }
}

/// One event through `recordUsage`: its body names its user and event id.
func record(_ api: some APIProtocol) async throws -> Bool? {
    let answer = try await api.recordUsage(
        path: .init(tenant: "acme"),
        body: .json(.init(
            value1: .init(user: "alice", event_id: "call-2", model: "gpt-4o"),
            value2: .init(user: "alice", event_id: "call-2"))))
    switch try answer.ok.body.json {
    case .UsageResponse(let full): return full.recorded
    case .UsageResponseMinimal(let minimal): return minimal.recorded
    }
}

print("swift-openapi-generator: types and client generated and compiled")
