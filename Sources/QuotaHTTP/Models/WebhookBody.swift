/// The body of `POST …/webhooks`: `{"url":"https://…","events":["quota.threshold","quota.exceeded"],"secret":"whsec_…"}`
/// (`secret` optional: one is generated and shown once).
struct WebhookBody: StrictJSONBody, Sendable {
    var url: String
    var events: [String]
    var secret: String?

    static var keySchema: JSONKeySchema { .keys(["url", "events", "secret"]) }
}
