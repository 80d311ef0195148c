/// A delivery claimed for one attempt: what the claim script returned.
struct DeliveryJob: Sendable {
    /// The tenant.
    var tenant: String
    /// The delivery's state and alert fields.
    var delivery: WebhookDelivery
    /// The webhook, nil when it was deleted since the alert was fanned out.
    var webhook: Webhook?
}
