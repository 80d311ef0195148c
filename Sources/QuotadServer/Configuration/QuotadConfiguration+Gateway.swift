import Foundation
public import QuotaGateway

extension QuotadConfiguration {
    /// The gateway's settings, when `gateway.enabled`: base URLs checked (http or https, a host, no query),
    /// the prefix a path, and each provider key read from its file when one is named (its trailing newline
    /// dropped). Nil when the gateway is off.
    ///
    /// - Throws: ``ConfigurationError`` naming the setting: a bad URL or prefix, a key given both inline and
    ///   as a file, an unreadable or empty key file.
    public func gatewaySettings() throws(ConfigurationError) -> GatewaySettings? {
        guard gatewayEnabled else { return nil }
        guard gatewayPrefix.hasPrefix("/"), gatewayPrefix.count > 1, !gatewayPrefix.hasSuffix("/"),
              !["/v1", "/dashboard", "/metrics", "/healthz", "/readyz"].contains(where: { gatewayPrefix == $0 || gatewayPrefix.hasPrefix($0 + "/") })
        else {
            throw ConfigurationError(
                "gateway.prefix (QUOTAD_GATEWAY_PREFIX) must be a path such as /gateway, not under quotad's own routes (got '\(gatewayPrefix)')")
        }
        let openai = GatewaySettings.Upstream(
            baseURL: try Self.gatewayBaseURL(gatewayOpenAIBaseURL, key: "gateway.providers.openai.base_url (QUOTAD_GATEWAY_OPENAI_BASE_URL)"),
            apiKey: try Self.gatewayKey(
                gatewayOpenAIAPIKey, file: gatewayOpenAIAPIKeyFile, key: "gateway.providers.openai.api_key",
                environment: "QUOTAD_GATEWAY_OPENAI_API_KEY")
        )
        let anthropic = GatewaySettings.Upstream(
            baseURL: try Self.gatewayBaseURL(gatewayAnthropicBaseURL, key: "gateway.providers.anthropic.base_url (QUOTAD_GATEWAY_ANTHROPIC_BASE_URL)"),
            apiKey: try Self.gatewayKey(
                gatewayAnthropicAPIKey, file: gatewayAnthropicAPIKeyFile, key: "gateway.providers.anthropic.api_key",
                environment: "QUOTAD_GATEWAY_ANTHROPIC_API_KEY")
        )
        return GatewaySettings(
            prefix: gatewayPrefix, openai: openai, anthropic: anthropic,
            upstreamTimeout: .milliseconds(gatewayUpstreamTimeoutMilliseconds)
        )
    }

    /// For the start-up log: where each provider is and whether a key is set (never the key).
    public var gatewaySummary: String {
        guard gatewayEnabled else { return "off" }
        let openaiKey = gatewayOpenAIAPIKey != nil || gatewayOpenAIAPIKeyFile != nil
        let anthropicKey = gatewayAnthropicAPIKey != nil || gatewayAnthropicAPIKeyFile != nil
        return "\(gatewayPrefix) openai=\(Self.redactURL(gatewayOpenAIBaseURL)) (key \(openaiKey ? "set" : "none")) "
            + "anthropic=\(Self.redactURL(gatewayAnthropicBaseURL)) (key \(anthropicKey ? "set" : "none"))"
    }

    static func gatewayBaseURL(_ url: String, key: String) throws(ConfigurationError) -> String {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty, components.query == nil,
              components.user == nil, components.password == nil
        else {
            throw ConfigurationError("\(key) must be an http:// or https:// URL with a host, no credentials and no query (got \(redactURL(url)))")
        }
        return url.hasSuffix("/") ? String(url.dropLast()) : url
    }

    static func gatewayKey(_ inline: String?, file: String?, key: String, environment: String) throws(ConfigurationError) -> String? {
        guard let file else { return inline }
        guard inline == nil else {
            throw ConfigurationError("\(key) (\(environment)) and \(key)_file (\(environment)_FILE) are both set: give one")
        }
        guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError("\(key)_file (\(environment)_FILE) \(file) cannot be read")
        }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty else { throw ConfigurationError("\(key)_file (\(environment)_FILE) \(file) is empty") }
        return secret
    }
}
