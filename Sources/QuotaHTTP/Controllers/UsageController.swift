import Logging
import Foundation
public import Hummingbird
import TokenQuota

/// Usage recording (single and batch) and a user's usage view.
public struct UsageController: Sendable {
    let dependencies: QuotaAPIDependencies

    /// The most events in one batch.
    public static let maximumBatchEvents = 1000
    /// How many batch items are recorded concurrently.
    static let batchConcurrency = 8

    /// Creates the controller.
    public init(dependencies: QuotaAPIDependencies) { self.dependencies = dependencies }

    /// `POST /{tenant}/usage`, `POST /{tenant}/usage/batch`, `GET /{tenant}/users/{user}/usage`
    /// (mounted at `/v1/tenants`).
    public var endpoints: RouteCollection<QuotaRequestContext> {
        let routes = RouteCollection(context: QuotaRequestContext.self)
        routes.post("{tenant}/usage", use: record)
        routes.post("{tenant}/usage/batch", use: batch)
        routes.get("{tenant}/users/{user}/usage", use: usage)
        return routes
    }

    @Sendable func record(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context)
        let body = try await RequestBodyReader.decode(UsageRequest.self, from: request, limit: dependencies.maxBodyBytes)
        let response = try await dependencies.recorder.record(body, tenant: tenant, logger: context.logger)
        return JSONResponse.make(fragment: response.fragment)
    }

    @Sendable func batch(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context)
        let body = try await RequestBodyReader.decode(BatchRequest.self, from: request, limit: dependencies.maxBatchBodyBytes)
        guard !body.events.isEmpty else { throw APIError.badRequest("events must hold 1…\(Self.maximumBatchEvents) events") }
        guard body.events.count <= Self.maximumBatchEvents else {
            throw APIError.payloadTooLarge("a batch holds at most \(Self.maximumBatchEvents) events (got \(body.events.count))")
        }
        // Items repeating an earlier item's event id run after the first wave, so that within a batch the
        // first occurrence is the one recorded and later ones are reported as duplicates.
        var seen = Set<String>()
        var firstWave: [Int] = []
        var secondWave: [Int] = []
        for (index, item) in body.events.enumerated() {
            if case .success(let request) = item.request, let eventID = request.eventID, !seen.insert("\(request.user ?? "")|\(eventID)").inserted {
                secondWave.append(index)
            } else {
                firstWave.append(index)
            }
        }
        var results = [BatchResultItem?](repeating: nil, count: body.events.count)
        for wave in [firstWave, secondWave] where !wave.isEmpty {
            for (index, result) in await record(wave, of: body.events, tenant: tenant, logger: context.logger) {
                results[index] = result
            }
        }
        let ordered = results.map { ($0 ?? .failure(.internalError())).fragment }
        return JSONResponse.make(fragment: .object(["results": .array(ordered)]))
    }

    /// Records the batch items at `indices`, at most ``batchConcurrency`` at a time.
    func record(_ indices: [Int], of events: [BatchItem], tenant: String, logger: Logger) async -> [(Int, BatchResultItem)] {
        let recorder = dependencies.recorder
        return await withTaskGroup(of: (Int, BatchResultItem).self) { group in
            var results: [(Int, BatchResultItem)] = []
            results.reserveCapacity(indices.count)
            var next = 0
            func addNext() {
                guard next < indices.count else { return }
                let index = indices[next]
                let item = events[index]
                next += 1
                group.addTask {
                    switch item.request {
                    case .failure(let error):
                        return (index, .failure(error))
                    case .success(let usageRequest):
                        do {
                            return (index, .success(try await recorder.record(usageRequest, tenant: tenant, logger: logger)))
                        } catch {
                            return (index, .failure(error as? APIError ?? .internalError()))
                        }
                    }
                }
            }
            for _ in 0..<Self.batchConcurrency { addNext() }
            while let result = await group.next() {
                results.append(result)
                addNext()
            }
            return results
        }
    }

    @Sendable func usage(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context)
        let user = try context.nameParameter("user")
        let cycleID = try Self.cycleParameter(request)
        let usage: UserUsage
        do {
            usage = try await dependencies.repository.usage(tenant: tenant, user: user, cycleID: cycleID, now: Date())
        } catch {
            throw APIError(error)
        }
        return try JSONResponse.make(value: UserUsageBody(usage))
    }


    /// `?cycle=current` (or absent) → nil; `?cycle=yyyy-MM-dd` → that id.
    static func cycleParameter(_ request: Request) throws(APIError) -> String? {
        guard let value = request.uri.queryParameters.get("cycle"), !value.isEmpty, value != "current" else { return nil }
        guard value.utf8.count == 10, value.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: "-") }) else {
            throw APIError.badRequest("cycle must be 'current' or a cycle id (yyyy-MM-dd)")
        }
        return value
    }
}
