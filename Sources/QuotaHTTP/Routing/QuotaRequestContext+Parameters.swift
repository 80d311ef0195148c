import Foundation
import Hummingbird
import TokenQuota

extension QuotaRequestContext {
    /// The `{name}` path parameter, percent-decoded (`john%40example.com` → `john@example.com`, as generated
    /// clients send it); malformed percent-encoding is a 400.
    func rawParameter(_ name: String) throws(APIError) -> String {
        guard let value = parameters.get(name) else { throw APIError.badRequest("missing path parameter '\(name)'") }
        guard value.utf8.contains(UInt8(ascii: "%")) else { return value }
        guard let decoded = value.removingPercentEncoding else {
            throw APIError.badRequest("path parameter '\(name)' has invalid percent-encoding")
        }
        return decoded
    }

    /// The `{tenant}`, `{user}` or `{group}` path parameter, percent-decoded and validated as an identifier
    /// (400 otherwise).
    package func nameParameter(_ name: String) throws(APIError) -> String {
        let value = try rawParameter(name)
        do {
            if name == "tenant" { try Identifier.validateTenant(value) } else { try Identifier.validateName(value, field: name) }
        } catch {
            throw APIError(error)
        }
        return value
    }

    /// An event/reservation id path parameter, validated (400 otherwise).
    func idParameter(_ name: String, field: String) throws(APIError) -> String {
        let value = try rawParameter(name)
        do {
            if field == "reservation_id" { try Identifier.validateReservationID(value, field: field) } else { try Identifier.validateEventID(value, field: field) }
        } catch {
            throw APIError(error)
        }
        return value
    }
}
