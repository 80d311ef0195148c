import QuotaStores
import Foundation
public import Hummingbird
public import HTTPTypes
import NIOCore
import TokenQuota

/// The tenant's recorded events for warehouses: `GET /{tenant}/events?since=<cursor>&limit=<1…1000>`
/// (`usage:read`, mounted at `/v1/tenants`).
///
/// The answer is `application/x-ndjson`: one JSON object per event (see ``RecordedEventBody``), oldest
/// first, at most `limit` (default 100). The `Next-Cursor` header holds the cursor to pass as `since` next:
/// the last event's, or `since` itself (`0-0` without one) when there are no newer events. `since` is
/// exclusive; without it the page starts at the oldest event still retained (`events.retention_hours`).
/// A cursor is a stream id `<milliseconds>-<sequence>`; anything else is a 400.
public struct EventsController: Sendable {
    let dependencies: QuotaAPIDependencies

    /// The page size without `limit`.
    public static let defaultLimit = 100
    /// The largest page.
    public static let maximumLimit = 1000
    /// The response header carrying the resume cursor.
    public static let nextCursorHeader = HTTPField.Name("Next-Cursor")!

    /// Creates the controller.
    public init(dependencies: QuotaAPIDependencies) { self.dependencies = dependencies }

    /// The routes (mounted at `/v1/tenants`).
    public var endpoints: RouteCollection<QuotaRequestContext> {
        let routes = RouteCollection(context: QuotaRequestContext.self)
        routes.get("{tenant}/events", use: events)
        return routes
    }

    @Sendable func events(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let tenant = try await dependencies.authorizedTenant(request, context, scope: .usageRead)
        var since: EventCursor?
        if let value = HistoryController.query(request, "since") {
            guard let cursor = EventCursor(value) else {
                throw APIError.badRequest("since must be a cursor <milliseconds>-<sequence> from Next-Cursor (got '\(value.prefix(40))')")
            }
            since = cursor
        }
        var limit = Self.defaultLimit
        if let value = HistoryController.query(request, "limit") {
            guard let parsed = Int(value), (1...Self.maximumLimit).contains(parsed) else {
                throw APIError.badRequest("limit must be an integer 1-\(Self.maximumLimit) (got '\(value.prefix(40))')")
            }
            limit = parsed
        }
        let page: EventPage
        do {
            page = try await HistoryController.history(dependencies).events(tenant: tenant, after: since, limit: limit)
        } catch let error as QuotaError {
            throw APIError(error)
        }
        let encoder = JSONResponse.encoder()
        var buffer = ByteBuffer()
        for event in page.events {
            buffer.writeBytes(try encoder.encode(RecordedEventBody(event)))
            buffer.writeInteger(UInt8(ascii: "\n"))
        }
        var headers = HTTPFields()
        headers[.contentType] = "application/x-ndjson"
        headers[.contentLength] = String(buffer.readableBytes)
        headers[Self.nextCursorHeader] = page.next.description
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
    }
}
