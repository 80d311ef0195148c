/// Provider prefixes on model names, as LiteLLM and other gateways spell them (`openai/gpt-4o-mini`,
/// `anthropic/claude-sonnet-4-5`, `bedrock/…`, `vertex_ai/…`): the model is the part after the prefix, and
/// the prefix names the provider where it names exactly one.
public enum ProviderPrefix {
    /// The prefixes quotad removes, with the provider each names (nil: a route or host of several providers).
    static let prefixes: [String: Provider?] = [
        "openai": .openai, "text-completion-openai": .openai,
        "azure": .azureOpenAI, "azure_openai": .azureOpenAI, "azure_ai": nil,
        "anthropic": .anthropic,
        "bedrock": .awsBedrock, "bedrock_converse": .awsBedrock, "aws_bedrock": .awsBedrock,
        "gemini": .googleGemini, "google_gemini": .googleGemini,
        "vertex_ai": nil, "vertex_ai_beta": nil,
        "mistral": .mistral,
        "openai_compatible": .openaiCompatible, "openrouter": nil,
    ]

    /// The model without its provider prefixes and the provider the first of them names, or nil when the name
    /// has no such prefix. `openai/gpt-4o-mini` → (openai, `gpt-4o-mini`); `openrouter/anthropic/claude-3-haiku`
    /// → (anthropic, `claude-3-haiku`); a name that would be empty after the prefix is left alone.
    public static func split(_ model: String) -> (provider: Provider?, model: String)? {
        var rest = Substring(model)
        var provider: Provider?
        var stripped = false
        while let slash = rest.firstIndex(of: "/"), let named = prefixes[rest[..<slash].lowercased()] {
            let after = rest[rest.index(after: slash)...]
            guard !after.isEmpty else { break }
            if provider == nil { provider = named }
            rest = after
            stripped = true
        }
        return stripped ? (provider, String(rest)) : nil
    }
}
