/// What quotad does with usage or reservations for a model it has no price for.
public enum UnpricedModelPolicy: String, Sendable, Hashable, CaseIterable {
    /// Refuse with `422 unpriced_model` when a cost limit applies to the user (the default): an
    /// unpriced call would otherwise bypass the cost limit at cost 0.
    case reject
    /// Accept and record the call at cost 0, counted as unpriced (logged and in metrics).
    case allow
}
