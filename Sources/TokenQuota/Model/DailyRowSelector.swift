/// Which row of a day bucket (`q:{t}:d:<day>`) a history reads: the tenant's, a user's, a group's, a
/// model's (tenant-wide), or one model of a user or a group.
public enum DailyRowSelector: Sendable, Hashable {
    /// Row `T`: the whole tenant.
    case tenant
    /// Row `u|<user>`.
    case user(String)
    /// Row `g|<group>`.
    case group(String)
    /// Row `m|<model>`: one model, tenant-wide.
    case model(String)
    /// Row `um|<user>|<model>`.
    case userModel(user: String, model: String)
    /// Row `gm|<group>|<model>`.
    case groupModel(group: String, model: String)

    /// The selector for optional filters, validated: at most one of `user` and `group`, each an
    /// identifier, and `model` a model name.
    ///
    /// - Throws: ``QuotaError/Code/invalidArgument`` naming the filter at fault.
    public init(user: String?, group: String?, model: String?) throws(QuotaError) {
        if let user { try Identifier.validateName(user, field: "user") }
        if let group { try Identifier.validateName(group, field: "group") }
        if let model { try Identifier.validateModel(model) }
        switch (user, group, model) {
        case (.some, .some, _):
            throw QuotaError(.invalidArgument, "give at most one of user and group")
        case (let user?, nil, let model?): self = .userModel(user: user, model: model)
        case (let user?, nil, nil): self = .user(user)
        case (nil, let group?, let model?): self = .groupModel(group: group, model: model)
        case (nil, let group?, nil): self = .group(group)
        case (nil, nil, let model?): self = .model(model)
        case (nil, nil, nil): self = .tenant
        }
    }

    /// The hash field of the row.
    public var field: String {
        switch self {
        case .tenant: "T"
        case .user(let user): "u|" + user
        case .group(let group): "g|" + group
        case .model(let model): "m|" + model
        case .userModel(let user, let model): "um|" + user + "|" + model
        case .groupModel(let group, let model): "gm|" + group + "|" + model
        }
    }

    /// The user filter, if any.
    public var user: String? {
        switch self {
        case .user(let user), .userModel(let user, _): user
        default: nil
        }
    }

    /// The group filter, if any.
    public var group: String? {
        switch self {
        case .group(let group), .groupModel(let group, _): group
        default: nil
        }
    }

    /// The model filter, if any.
    public var model: String? {
        switch self {
        case .model(let model), .userModel(_, let model), .groupModel(_, let model): model
        default: nil
        }
    }
}
