import Foundation
import NIOCore
import NIOHTTP1

/// A tenant's recorded and held requests, read over HTTP (`GET /v1/tenants/{tenant}/usage`): the check that a
/// run's requests did their work (every 2xx recorded once, no reservation left held).
struct TenantTotals: Sendable {
    /// `totals.requests`: events recorded in the current cycle.
    var requests: Int
    /// `reserved.requests`: reservations held now.
    var reservedRequests: Int

    /// Reads the tenant level's totals through `connection`.
    static func read(_ connection: HTTPBenchConnection, tenant: String) async throws -> TenantTotals {
        let response = try await connection.send(.GET, "/v1/tenants/\(tenant)/usage", expect: 200).get()
        let json = try JSONSerialization.jsonObject(with: Data(response.text.utf8)) as? [String: Any]
        let totals = json?["totals"] as? [String: Any]
        let reserved = json?["reserved"] as? [String: Any]
        guard let requests = (totals?["requests"] as? NSNumber)?.intValue else {
            throw HTTPBenchError("GET /v1/tenants/\(tenant)/usage has no totals.requests: \(response.text.prefix(300))")
        }
        return TenantTotals(requests: requests, reservedRequests: (reserved?["requests"] as? NSNumber)?.intValue ?? 0)
    }
}
