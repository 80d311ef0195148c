import QuotaStores
public import Hummingbird
import NIOCore

/// Unauthenticated operational endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document.
public struct SystemController: Sendable {
    let dependencies: QuotaAPIDependencies

    /// Creates the controller.
    public init(dependencies: QuotaAPIDependencies) { self.dependencies = dependencies }

    /// `GET /healthz`, `GET /readyz`, `GET /metrics`, `GET /openapi.yaml`.
    public var endpoints: RouteCollection<QuotaRequestContext> {
        let routes = RouteCollection(context: QuotaRequestContext.self)
        routes.get("healthz", use: health)
        routes.get("readyz", use: ready)
        routes.get("metrics", use: metrics)
        routes.get("openapi.yaml", use: openAPI)
        return routes
    }

    @Sendable func health(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        JSONResponse.make(fragment: .object(["status": .string("ok")]))
    }

    /// 200 when Redis answers PING within the readiness timeout, else `503 redis_unavailable` naming the cause.
    @Sendable func ready(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let timeout = dependencies.readinessTimeout
        if let problem = await dependencies.stores.health.problem(within: timeout) { throw APIError.redisUnavailable(problem) }
        return JSONResponse.make(fragment: .object(["status": .string("ready")]))
    }

    @Sendable func metrics(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let buffer = ByteBuffer(bytes: PrometheusExporter.render())
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        headers[.contentLength] = String(buffer.readableBytes)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
    }

    @Sendable func openAPI(_ request: Request, context: QuotaRequestContext) async throws -> Response {
        let buffer = ByteBuffer(string: OpenAPIDocument.yaml)
        var headers = HTTPFields()
        headers[.contentType] = "application/yaml; charset=utf-8"
        headers[.contentLength] = String(buffer.readableBytes)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
    }
}
