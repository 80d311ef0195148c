import Hummingbird
import TokenQuota

extension QuotaRequestContext {
    /// The raw `{name}` path parameter (always present on the routes that declare it).
    func rawParameter(_ name: String) throws(APIError) -> String {
        guard let value = parameters.get(name) else { throw APIError.badRequest("missing path parameter '\(name)'") }
        return value
    }

    /// The `{tenant}` or `{user}` path parameter, validated as an identifier (400 otherwise).
    func nameParameter(_ name: String) throws(APIError) -> String {
        let value = try rawParameter(name)
        do { try Identifier.validateName(value, field: name) } catch { throw APIError(error) }
        return value
    }

    /// An event/reservation id path parameter, validated (400 otherwise).
    func idParameter(_ name: String, field: String) throws(APIError) -> String {
        let value = try rawParameter(name)
        do { try Identifier.validateEventID(value, field: field) } catch { throw APIError(error) }
        return value
    }
}
