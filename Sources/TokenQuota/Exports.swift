// The quota domain is one layer in two modules: `TokenAccounting` (pure values and rules) and `TokenQuota`
// (storage and callbacks). Importing `TokenQuota` gives both.
@_exported public import TokenAccounting
