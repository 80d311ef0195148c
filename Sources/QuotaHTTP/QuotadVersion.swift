/// The version of quotad, printed by `quotad --version`. Change it here only.
public enum QuotadVersion {
    /// The semantic version of this build, e.g. `1.1.0`.
    public static let string = "1.1.0"
}
