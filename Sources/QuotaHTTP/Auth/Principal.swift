public import QuotaStores
/// Who a request acts as, established from its bearer key.
public enum Principal: Sendable, Hashable {
    /// An operator holding one of the configured admin keys: may act on every tenant.
    case admin
    /// A tenant key: may act only on its own tenant, and only as its scopes allow.
    case tenant(String, keyID: String, scopes: Set<KeyScope>)
}
