/// A callback handler did not finish within the composite's timeout.
struct CallbackTimeout: Error, CustomStringConvertible {
    let timeout: Duration
    var description: String { "handler did not finish within \(timeout)" }
}
