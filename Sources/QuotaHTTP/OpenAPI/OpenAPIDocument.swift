import Yams

/// The OpenAPI 3.1 description of quotad's HTTP API, served at `GET /openapi.yaml`.
///
/// A test checks that its paths and methods equal the router's routes exactly.
public enum OpenAPIDocument {
    /// The operations the document describes, as `"METHOD /path"` strings (e.g. `"GET /healthz"`).
    public static func operations() throws -> Set<String> {
        guard let root = try Yams.load(yaml: yaml) as? [String: Any], let paths = root["paths"] as? [String: Any] else {
            return []
        }
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
        var result = Set<String>()
        for (path, item) in paths {
            guard let operations = item as? [String: Any] else { continue }
            for key in operations.keys where methods.contains(key) { result.insert("\(key.uppercased()) \(path)") }
        }
        return result
    }

    /// The document.
    public static let yaml = #"""
openapi: 3.1.0
info:
  title: quotad
  version: 1.0.0
  summary: Multi-tenant LLM token quota service backed by Redis.
  description: |
    JSON bodies use snake_case; timestamps are ISO 8601 UTC; money is integer nano-USD
    (1 USD = 1,000,000,000 nano-USD) or an exact decimal string (`cost_usd`).
    Every error is `{"error":{"code":"...","message":"..."}}`. Every response carries `X-Request-Id`
    (the client's, when valid, else generated).
    Authentication: `Authorization: Bearer <key>` with an admin key (configuration) or a tenant key
    (created by an admin, shown once, stored as SHA-256). A tenant key acts only on its own tenant (403
    otherwise); a missing, unknown or revoked key is 401. When Redis is unavailable requests fail with
    503 (`redis_unavailable` or `outcome_unknown`) and `Retry-After: 1`.
servers:
  - url: http://127.0.0.1:8080
security:
  - bearer: []
tags:
  - name: system
  - name: keys
  - name: usage
  - name: reservations
  - name: quota
  - name: reports
  - name: settings
paths:
  /healthz:
    get:
      tags: [system]
      operationId: health
      summary: Liveness (always 200).
      security: []
      responses:
        "200": { description: Alive., content: { application/json: { schema: { $ref: "#/components/schemas/Status" } } } }
  /readyz:
    get:
      tags: [system]
      operationId: ready
      summary: Readiness — 200 when Redis answers PING within the configured timeout, else 503.
      security: []
      responses:
        "200": { description: Ready., content: { application/json: { schema: { $ref: "#/components/schemas/Status" } } } }
        "503": { $ref: "#/components/responses/Unavailable" }
  /metrics:
    get:
      tags: [system]
      operationId: metrics
      summary: Prometheus text exposition (HTTP, Redis and quota metrics).
      security: []
      responses:
        "200": { description: Metrics., content: { text/plain: { schema: { type: string } } } }
  /openapi.yaml:
    get:
      tags: [system]
      operationId: openAPI
      summary: This document.
      security: []
      responses:
        "200": { description: The OpenAPI document., content: { application/yaml: { schema: { type: string } } } }
  /v1/settings/metrics:
    get:
      tags: [settings]
      operationId: getMetricsSettings
      summary: The usage-recording switches (admin).
      responses:
        "200": { description: Current settings., content: { application/json: { schema: { $ref: "#/components/schemas/MetricsSettings" } } } }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
        "503": { $ref: "#/components/responses/Unavailable" }
    patch:
      tags: [settings]
      operationId: patchMetricsSettings
      summary: Change the switches (admin); every instance applies the change within 1 s.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              properties:
                enabled: { type: boolean, description: "false: usage is acknowledged but not recorded (recorded:false, reason recording_disabled)." }
                token_statistics: { type: boolean, description: "false: only request and error counts are recorded." }
      responses:
        "200": { description: New settings., content: { application/json: { schema: { $ref: "#/components/schemas/MetricsSettings" } } } }
        "400": { $ref: "#/components/responses/BadRequest" }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
        "503": { $ref: "#/components/responses/Unavailable" }
  /v1/tenants/{tenant}/keys:
    parameters: [{ $ref: "#/components/parameters/Tenant" }]
    post:
      tags: [keys]
      operationId: createKey
      summary: Create a tenant key (admin). The secret is returned once.
      responses:
        "201":
          description: Created.
          content:
            application/json:
              schema:
                type: object
                required: [id, key, tenant, created_at]
                properties:
                  id: { type: string, example: k_0123456789abcdef }
                  key: { type: string, description: "qk_ + 43 base64url characters", example: qk_x }
                  tenant: { type: string }
                  created_at: { type: string, format: date-time }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
        "503": { $ref: "#/components/responses/Unavailable" }
    get:
      tags: [keys]
      operationId: listKeys
      summary: List the tenant's key ids and creation times (admin or the tenant; never secrets).
      responses:
        "200":
          description: Keys.
          content:
            application/json:
              schema:
                type: object
                properties:
                  tenant: { type: string }
                  keys:
                    type: array
                    items: { type: object, properties: { id: { type: string }, created_at: { type: string, format: date-time } } }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
  /v1/tenants/{tenant}/keys/{id}:
    parameters:
      - { $ref: "#/components/parameters/Tenant" }
      - { name: id, in: path, required: true, schema: { type: string } }
    delete:
      tags: [keys]
      operationId: revokeKey
      summary: Revoke a tenant key (admin); effective on every instance within 1 s.
      responses:
        "204": { description: Revoked. }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
        "404": { $ref: "#/components/responses/NotFound" }
  /v1/tenants/{tenant}/usage:
    parameters: [{ $ref: "#/components/parameters/Tenant" }]
    post:
      tags: [usage]
      operationId: recordUsage
      summary: Record one LLM call's usage exactly once (by event_id).
      requestBody:
        required: true
        content: { application/json: { schema: { $ref: "#/components/schemas/UsageRequest" } } }
      responses:
        "200": { description: Recorded (or duplicate / recording disabled)., content: { application/json: { schema: { $ref: "#/components/schemas/UsageResponse" } } } }
        "400": { $ref: "#/components/responses/BadRequest" }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
        "409": { $ref: "#/components/responses/Conflict" }
        "413": { $ref: "#/components/responses/TooLarge" }
        "422": { $ref: "#/components/responses/Unparsable" }
        "503": { $ref: "#/components/responses/Unavailable" }
  /v1/tenants/{tenant}/usage/batch:
    parameters: [{ $ref: "#/components/parameters/Tenant" }]
    post:
      tags: [usage]
      operationId: recordUsageBatch
      summary: Record 1–1000 events; results in request order, per-item errors do not fail the batch.
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [events]
              properties:
                events: { type: array, minItems: 1, maxItems: 1000, items: { $ref: "#/components/schemas/UsageRequest" } }
      responses:
        "200":
          description: One result per event.
          content:
            application/json:
              schema:
                type: object
                properties:
                  results:
                    type: array
                    items:
                      oneOf:
                        - { $ref: "#/components/schemas/UsageResponse" }
                        - { $ref: "#/components/schemas/ItemError" }
        "400": { $ref: "#/components/responses/BadRequest" }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
        "413": { $ref: "#/components/responses/TooLarge" }
  /v1/tenants/{tenant}/users/{user}/usage:
    parameters:
      - { $ref: "#/components/parameters/Tenant" }
      - { $ref: "#/components/parameters/User" }
      - { $ref: "#/components/parameters/Cycle" }
    get:
      tags: [usage]
      operationId: getUserUsage
      summary: A user's usage in a cycle, per model, with reservations, limits and what is left.
      responses:
        "200": { description: Usage., content: { application/json: { schema: { $ref: "#/components/schemas/UserUsage" } } } }
        "400": { $ref: "#/components/responses/BadRequest" }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
        "503": { $ref: "#/components/responses/Unavailable" }
  /v1/tenants/{tenant}/reservations:
    parameters: [{ $ref: "#/components/parameters/Tenant" }]
    post:
      tags: [reservations]
      operationId: reserve
      summary: Hold quota for a call about to start (tokens = input + max_output; cost from the model's price).
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [user, model]
              properties:
                user: { type: string }
                model: { type: string }
                provider: { type: string }
                input_tokens: { type: integer, minimum: 0 }
                messages:
                  type: array
                  description: Estimated locally instead of input_tokens.
                  items: { type: object, required: [role, content], properties: { role: { type: string }, content: { type: string } } }
                max_output_tokens: { type: integer, minimum: 0 }
                ttl_seconds: { type: integer, minimum: 1, description: "default 300, at most reservations.max_ttl_seconds" }
                reservation_id: { type: string, description: Optional caller-chosen id (idempotent reserve). }
      responses:
        "201":
          description: Reserved (or granted fail-open when Redis is down and fail-open is configured).
          content:
            application/json:
              schema:
                type: object
                properties:
                  reservation_id: { type: string }
                  user: { type: string }
                  model: { type: string }
                  expires_at: { type: string, format: date-time }
                  reserved: { type: object, properties: { tokens: { type: integer }, cost_nano_usd: { type: integer } } }
                  fail_open: { type: boolean }
        "400": { $ref: "#/components/responses/BadRequest" }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
        "429":
          description: A limit would be exceeded. `Retry-After` holds the seconds until the cycle resets.
          headers: { Retry-After: { schema: { type: integer } } }
          content:
            application/json:
              schema:
                type: object
                properties:
                  error: { $ref: "#/components/schemas/ErrorDetail" }
                  limit:
                    type: object
                    properties:
                      name: { type: string, enum: [tokens, cost, requests] }
                      limit: { type: integer }
                      used: { type: integer }
                      reserved: { type: integer }
                      requested: { type: integer }
                      remaining: { type: integer }
                      cycle_id: { type: string }
        "503": { $ref: "#/components/responses/Unavailable" }
  /v1/tenants/{tenant}/reservations/{id}/commit:
    parameters:
      - { $ref: "#/components/parameters/Tenant" }
      - { $ref: "#/components/parameters/ReservationID" }
    post:
      tags: [reservations]
      operationId: commitReservation
      summary: Record the call's usage and settle the reservation (user optional, event_id defaults to the reservation id).
      requestBody:
        required: true
        content: { application/json: { schema: { $ref: "#/components/schemas/UsageRequest" } } }
      responses:
        "200": { description: Recorded., content: { application/json: { schema: { $ref: "#/components/schemas/UsageResponse" } } } }
        "400": { $ref: "#/components/responses/BadRequest" }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
        "404": { $ref: "#/components/responses/NotFound" }
        "409": { $ref: "#/components/responses/Conflict" }
        "422": { $ref: "#/components/responses/Unparsable" }
        "503": { $ref: "#/components/responses/Unavailable" }
  /v1/tenants/{tenant}/reservations/{id}:
    parameters:
      - { $ref: "#/components/parameters/Tenant" }
      - { $ref: "#/components/parameters/ReservationID" }
    delete:
      tags: [reservations]
      operationId: releaseReservation
      summary: Release a reservation without usage.
      responses:
        "204": { description: Released. }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
        "404": { $ref: "#/components/responses/NotFound" }
        "503": { $ref: "#/components/responses/Unavailable" }
  /v1/tenants/{tenant}/users/{user}/quota:
    parameters:
      - { $ref: "#/components/parameters/Tenant" }
      - { $ref: "#/components/parameters/User" }
    get:
      tags: [quota]
      operationId: getUserQuota
      summary: The user's effective quota (source user or tenant_default).
      responses:
        "200": { description: Quota., content: { application/json: { schema: { $ref: "#/components/schemas/Quota" } } } }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
    put:
      tags: [quota]
      operationId: putUserQuota
      summary: Set the user's own quota (admin or the tenant). Without cycle, the effective cycle policy is kept.
      requestBody:
        required: true
        content: { application/json: { schema: { $ref: "#/components/schemas/QuotaInput" } } }
      responses:
        "200": { description: Stored quota., content: { application/json: { schema: { $ref: "#/components/schemas/Quota" } } } }
        "400": { $ref: "#/components/responses/BadRequest" }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
    delete:
      tags: [quota]
      operationId: deleteUserQuota
      summary: Remove the user's own quota (the tenant default applies again).
      responses:
        "204": { description: Removed. }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
  /v1/tenants/{tenant}/quota/default:
    parameters: [{ $ref: "#/components/parameters/Tenant" }]
    get:
      tags: [quota]
      operationId: getDefaultQuota
      summary: The tenant's default quota.
      responses:
        "200": { description: Quota., content: { application/json: { schema: { $ref: "#/components/schemas/Quota" } } } }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
    put:
      tags: [quota]
      operationId: putDefaultQuota
      summary: Set the tenant's default quota (admin or the tenant).
      requestBody:
        required: true
        content: { application/json: { schema: { $ref: "#/components/schemas/QuotaInput" } } }
      responses:
        "200": { description: Stored quota., content: { application/json: { schema: { $ref: "#/components/schemas/Quota" } } } }
        "400": { $ref: "#/components/responses/BadRequest" }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
  /v1/tenants/{tenant}/reports/usage:
    parameters:
      - { $ref: "#/components/parameters/Tenant" }
      - { $ref: "#/components/parameters/Cycle" }
      - { name: format, in: query, schema: { type: string, enum: [json, csv], default: json } }
    get:
      tags: [reports]
      operationId: usageReport
      summary: Every user with usage in the cycle, per model, and tenant totals.
      description: |
        CSV header: user,model,input_tokens,cached_input_tokens,cache_write_tokens,output_tokens,reasoning_tokens,requests,errors,cost_nano_usd,unpriced_requests.
        One row per user and model, then a row per user with model `*` (the user's totals), then a final `*,*` row (tenant totals).
      responses:
        "200":
          description: Report.
          content:
            application/json:
              schema:
                type: object
                properties:
                  tenant: { type: string }
                  cycle_id: { type: string }
                  users: { type: array, items: { $ref: "#/components/schemas/UserUsage" } }
                  totals: { $ref: "#/components/schemas/Totals" }
            text/csv: { schema: { type: string } }
        "400": { $ref: "#/components/responses/BadRequest" }
        "401": { $ref: "#/components/responses/Unauthorized" }
        "403": { $ref: "#/components/responses/Forbidden" }
components:
  securitySchemes:
    bearer: { type: http, scheme: bearer }
  parameters:
    Tenant: { name: tenant, in: path, required: true, schema: { type: string, pattern: "^[A-Za-z0-9._@-]{1,128}$" } }
    User: { name: user, in: path, required: true, schema: { type: string, pattern: "^[A-Za-z0-9._@-]{1,128}$" } }
    ReservationID: { name: id, in: path, required: true, schema: { type: string } }
    Cycle: { name: cycle, in: query, schema: { type: string, default: current, description: "current or a cycle id (yyyy-MM-dd)" } }
  responses:
    BadRequest: { description: Malformed JSON, wrong types, missing or invalid fields., content: { application/json: { schema: { $ref: "#/components/schemas/Error" } } } }
    Unauthorized: { description: Missing, unknown or revoked key., content: { application/json: { schema: { $ref: "#/components/schemas/Error" } } } }
    Forbidden: { description: The key may not act here., content: { application/json: { schema: { $ref: "#/components/schemas/Error" } } } }
    NotFound: { description: Unknown object or route., content: { application/json: { schema: { $ref: "#/components/schemas/Error" } } } }
    Conflict: { description: Conflicts with stored state., content: { application/json: { schema: { $ref: "#/components/schemas/Error" } } } }
    TooLarge: { description: Body too large., content: { application/json: { schema: { $ref: "#/components/schemas/Error" } } } }
    Unparsable: { description: The provider response could not be read (code unparsable_usage)., content: { application/json: { schema: { $ref: "#/components/schemas/Error" } } } }
    Unavailable:
      description: Redis unavailable (redis_unavailable) or outcome unknown (outcome_unknown).
      headers: { Retry-After: { schema: { type: integer } } }
      content: { application/json: { schema: { $ref: "#/components/schemas/Error" } } }
  schemas:
    Status:
      type: object
      properties: { status: { type: string } }
    ErrorDetail:
      type: object
      required: [code, message]
      properties:
        code: { type: string }
        message: { type: string }
    Error:
      type: object
      required: [error]
      properties:
        error: { $ref: "#/components/schemas/ErrorDetail" }
    ItemError:
      type: object
      required: [error]
      properties:
        error:
          type: object
          properties: { status: { type: integer }, code: { type: string }, message: { type: string } }
    MetricsSettings:
      type: object
      properties:
        enabled: { type: boolean }
        token_statistics: { type: boolean }
    TokenUsage:
      type: object
      properties:
        input_tokens: { type: integer, minimum: 0 }
        cached_input_tokens: { type: integer, minimum: 0 }
        cache_write_tokens: { type: integer, minimum: 0 }
        cache_write_1h_tokens: { type: integer, minimum: 0 }
        output_tokens: { type: integer, minimum: 0 }
        reasoning_tokens: { type: integer, minimum: 0 }
    UsageRequest:
      type: object
      description: Exactly one of response or usage.
      properties:
        user: { type: string }
        event_id: { type: string }
        provider: { type: string, enum: [openai, azure_openai, mistral, openai_compatible, anthropic, aws_bedrock, google_gemini] }
        model: { type: string }
        response: { description: "The provider's raw response: a JSON value, or SSE/JSON text as a string." }
        usage: { $ref: "#/components/schemas/TokenUsage" }
        reservation_id: { type: string }
        latency_ms: { type: integer, minimum: 0 }
        metadata: { type: object, additionalProperties: { type: string } }
        error: { type: boolean }
    Cycle:
      type: object
      properties:
        id: { type: string }
        start: { type: string, format: date-time }
        end: { type: string, format: date-time }
    Totals:
      type: object
      properties:
        input_tokens: { type: integer }
        cached_input_tokens: { type: integer }
        cache_write_tokens: { type: integer }
        cache_write_1h_tokens: { type: integer }
        output_tokens: { type: integer }
        reasoning_tokens: { type: integer }
        total_tokens: { type: integer }
        requests: { type: integer }
        errors: { type: integer }
        cost_nano_usd: { type: integer }
        unpriced_requests: { type: integer }
        estimated_requests: { type: integer }
    Amounts:
      type: object
      description: null means unlimited.
      properties:
        tokens: { type: [integer, "null"] }
        cost_nano_usd: { type: [integer, "null"] }
        requests: { type: [integer, "null"] }
    UsageResponse:
      type: object
      required: [recorded, event_id, user]
      properties:
        recorded: { type: boolean }
        reason: { type: string, enum: [duplicate, recording_disabled] }
        event_id: { type: string }
        user: { type: string }
        model: { type: string }
        usage: { $ref: "#/components/schemas/TokenUsage" }
        source: { type: string, enum: [reported, estimated] }
        cost_nano_usd: { type: integer }
        priced: { type: boolean }
        cycle: { oneOf: [{ $ref: "#/components/schemas/Cycle" }, { type: "null" }] }
        totals: { oneOf: [{ $ref: "#/components/schemas/Totals" }, { type: "null" }] }
        reserved: { oneOf: [{ $ref: "#/components/schemas/Amounts" }, { type: "null" }] }
        limits: { oneOf: [{ $ref: "#/components/schemas/Amounts" }, { type: "null" }] }
        remaining: { oneOf: [{ $ref: "#/components/schemas/Amounts" }, { type: "null" }] }
    UserUsage:
      type: object
      properties:
        user: { type: string }
        cycle: { $ref: "#/components/schemas/Cycle" }
        totals: { $ref: "#/components/schemas/Totals" }
        models: { type: object, additionalProperties: { $ref: "#/components/schemas/Totals" } }
        reserved: { $ref: "#/components/schemas/Amounts" }
        limits: { $ref: "#/components/schemas/Amounts" }
        remaining: { $ref: "#/components/schemas/Amounts" }
    QuotaInput:
      type: object
      required: [limits]
      properties:
        limits:
          type: object
          properties:
            tokens: { type: [integer, "null"], minimum: 0 }
            cost_usd: { type: [string, "null"], pattern: "^[0-9]+(\\.[0-9]{1,9})?$", example: "12.50" }
            cost_nano_usd: { type: [integer, "null"], minimum: 0 }
            requests: { type: [integer, "null"], minimum: 0 }
        cycle:
          type: object
          properties:
            anchor_day: { type: integer, minimum: 1, maximum: 31 }
            timezone: { type: string, example: Europe/Berlin }
    Quota:
      type: object
      properties:
        tenant: { type: string }
        user: { type: string }
        source: { type: string, enum: [user, tenant_default] }
        limits:
          type: object
          properties:
            tokens: { type: [integer, "null"] }
            cost_usd: { type: [string, "null"] }
            cost_nano_usd: { type: [integer, "null"] }
            requests: { type: [integer, "null"] }
        cycle:
          type: object
          properties:
            anchor_day: { type: integer }
            timezone: { type: string }
            current: { $ref: "#/components/schemas/Cycle" }
"""#
}
