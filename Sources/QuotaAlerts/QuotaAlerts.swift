// Webhook alerts: endpoints, the alert outbox consumer and signed, retried deliveries.
