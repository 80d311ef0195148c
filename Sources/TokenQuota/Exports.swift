@_exported public import TokenAccounting
