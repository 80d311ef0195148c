/// One message of a chat request, as far as token estimation needs it.
public struct ChatMessage: Sendable, Hashable, Codable {
    /// The author's role (`system`, `user`, `assistant`, `tool`, ...).
    public var role: String
    /// The message text.
    public var content: String

    /// Creates a message.
    public init(role: String, content: String) {
        self.role = role
        self.content = content
    }
}
