import AsyncHTTPClient
import Logging
import ServiceLifecycle

/// The gateway's HTTP client to the providers (`GatewaySettings.makeHTTPClient()`), shut down when quotad stops.
struct GatewayHTTPClient: Service {
    let client: HTTPClient
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        do { try await client.shutdown() } catch {
            logger.warning("the gateway's HTTP client did not shut down cleanly", metadata: ["error": "\(error)"])
        }
    }
}
