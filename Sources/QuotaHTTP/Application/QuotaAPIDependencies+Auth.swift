import QuotaStores
import Hummingbird

extension QuotaAPIDependencies {
    /// Authorizes an admin key or a key of the path's `{tenant}` holding `scope` (403 otherwise), then
    /// validates the tenant name.
    ///
    /// Authentication comes first, so a request without a valid key is 401 whatever else is wrong with it.
    func authorizedTenant(_ request: Request, _ context: QuotaRequestContext, scope: KeyScope) async throws(APIError) -> String {
        let raw = try context.rawParameter("tenant")
        try await authenticator.requireTenant(request, tenant: raw, scope: scope)
        return try context.nameParameter("tenant")
    }
}
