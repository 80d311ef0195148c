internal import CHiredis

/// SIGPIPE handling for the process.
///
/// A write to a socket the server has reset raises SIGPIPE, whose default action ends the process. SwiftNIO
/// sets SIGPIPE to `SIG_IGN` when it opens its first socket on Linux; the client does so already when it is
/// created — unless the program has installed a handler or ignores it — so such a write fails with `EPIPE`
/// and becomes a ``RedisError`` from the start.
enum BrokenPipeSignal {
    /// Evaluated once per process (Swift initialises a static stored property exactly once, thread-safely).
    static let ignoredUnlessHandled: Void = {
        _ = chiredis_ignore_sigpipe_if_default()
    }()
}
