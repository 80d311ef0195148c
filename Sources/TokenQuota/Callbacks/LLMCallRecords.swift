public import Foundation
public import TokenAccounting

/// What is known when an LLM call starts.
public struct LLMCallStart: Sendable, Hashable {
    /// A unique id of the call; it is also the usage event id, so the call is counted once.
    public var callID: String
    /// The tenant (app) making the call.
    public var tenant: String
    /// The end user charged for the call.
    public var user: String
    /// The provider, if known.
    public var provider: Provider?
    /// The model requested.
    public var model: String
    /// The prompt messages (for estimating input tokens), if available.
    public var messages: [ChatMessage]
    /// An input-token estimate supplied by the caller; wins over estimating `messages`.
    public var estimatedInputTokens: Int?
    /// The call's output cap, used to size the reservation.
    public var maxOutputTokens: Int?
    /// When the call started.
    public var startedAt: Date
    /// Free-form metadata such as a conversation id.
    public var metadata: [String: String]

    /// Creates a start record.
    public init(
        callID: String, tenant: String, user: String, provider: Provider? = nil, model: String,
        messages: [ChatMessage] = [], estimatedInputTokens: Int? = nil, maxOutputTokens: Int? = nil,
        startedAt: Date = Date(), metadata: [String: String] = [:]
    ) {
        self.callID = callID
        self.tenant = tenant
        self.user = user
        self.provider = provider
        self.model = model
        self.messages = messages
        self.estimatedInputTokens = estimatedInputTokens
        self.maxOutputTokens = maxOutputTokens
        self.startedAt = startedAt
        self.metadata = metadata
    }
}

/// How a finished call's usage is given.
public enum LLMCallOutput: Sendable, Hashable {
    /// The provider's raw response body (JSON or SSE text); usage is parsed from it.
    case responseBody([UInt8])
    /// Counts the caller already has in canonical form.
    case usage(TokenUsage)
    /// Nothing: the usage is estimated from the start record.
    case none
}

/// A call that finished successfully.
public struct LLMCallEnd: Sendable, Hashable {
    /// The start record of the call.
    public var start: LLMCallStart
    /// The response or usage.
    public var output: LLMCallOutput
    /// When the call ended.
    public var endedAt: Date

    /// Creates an end record.
    public init(start: LLMCallStart, output: LLMCallOutput, endedAt: Date = Date()) {
        self.start = start
        self.output = output
        self.endedAt = endedAt
    }

    /// The call's latency in milliseconds.
    public var latencyMilliseconds: Int { max(0, Int((endedAt.timeIntervalSince(start.startedAt) * 1000).rounded())) }
}

/// A call that failed.
public struct LLMCallFailure: Sendable, Hashable {
    /// The start record of the call.
    public var start: LLMCallStart
    /// A description of the failure (logged; never parsed).
    public var reason: String
    /// Usage the provider billed despite the failure, if any.
    public var partialUsage: TokenUsage?
    /// When the call failed.
    public var endedAt: Date

    /// Creates a failure record.
    public init(start: LLMCallStart, reason: String, partialUsage: TokenUsage? = nil, endedAt: Date = Date()) {
        self.start = start
        self.reason = reason
        self.partialUsage = partialUsage
        self.endedAt = endedAt
    }
}
