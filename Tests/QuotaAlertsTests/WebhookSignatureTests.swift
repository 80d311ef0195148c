import Crypto
import Foundation
@testable import QuotaAlerts
import Testing

@Suite("Webhook signature, payload and backoff")
struct WebhookSignatureTests {
    /// The Standard Webhooks reference vector (the spec's test suite): a different implementation would not match.
    @Test func signatureMatchesTheStandardWebhooksReferenceVector() throws {
        let key = try #require(WebhookSignature.key(ofSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signature = WebhookSignature.sign(
            messageID: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8), key: key
        )
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func generatedSecretsAreWhsecAndThirtyTwoRandomBytes() throws {
        let first = WebhookSignature.makeSecret()
        let second = WebhookSignature.makeSecret()
        #expect(first.hasPrefix("whsec_"))
        #expect(WebhookSignature.key(ofSecret: first)?.count == 32)
        #expect(first != second)
        #expect(WebhookSignature.key(ofSecret: "whsec_" + Data(repeating: 1, count: 8).base64EncodedString()) == nil)
        #expect(WebhookSignature.key(ofSecret: "secret") == nil)
    }

    @Test func payloadCarriesTheAlertFields() throws {
        let alert = [
            "type": "quota.threshold", "level": "group", "subject": "team-a", "user": "alice", "group": "team-a", "limit": "cost",
            "threshold": "80", "used": "8000000000", "value": "10000000000", "cycle": "2026-11", "at": "1795000000123", "event": "ev-9",
        ]
        let body = try WebhookPayload(tenant: "acme", alert: alert).encoded()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        #expect(object["type"] as? String == "quota.threshold")
        #expect(object["timestamp"] as? String == "2026-11-18T11:06:40.123Z")
        let data = try #require(object["data"] as? [String: Any])
        #expect(data["tenant"] as? String == "acme")
        #expect(data["level"] as? String == "group")
        #expect(data["subject"] as? String == "team-a")
        #expect(data["limit"] as? String == "cost")
        #expect(data["threshold"] as? Int == 80)
        #expect(data["used"] as? Int == 8_000_000_000)
        #expect(data["limit_value"] as? Int == 10_000_000_000)
        #expect(data["event_id"] as? String == "ev-9")
        // The same alert always gives the same bytes (retries resend an identical body).
        #expect(try WebhookPayload(tenant: "acme", alert: alert).encoded() == body)
        // An exceeded alert has no threshold: an explicit null.
        let exceeded = try WebhookPayload(tenant: "acme", alert: ["type": "quota.exceeded", "threshold": "", "group": ""]).encoded()
        let exceededData = try #require((try JSONSerialization.jsonObject(with: Data(exceeded)) as? [String: Any])?["data"] as? [String: Any])
        #expect(exceededData["threshold"] is NSNull)
        #expect(exceededData["group"] is NSNull)
    }

    @Test func backoffDoublesUpToTheMaximumWithFullJitter() {
        let settings = WebhookDeliverySettings(initialBackoff: .milliseconds(100), maximumBackoff: .milliseconds(1000))
        #expect((1...6).map(settings.backoffCap(afterAttempts:)) == [100, 200, 400, 800, 1000, 1000])
        #expect(settings.backoffCap(afterAttempts: 500) == 1000)
        var generator = SystemRandomNumberGenerator()
        let delays = (0..<200).map { _ in settings.backoff(afterAttempts: 3, using: &generator) }
        #expect(delays.allSatisfy { $0 >= .zero && $0 <= .milliseconds(400) })
        #expect(Set(delays).count > 10)
        #expect(settings.lease > settings.timeout)
    }
}
