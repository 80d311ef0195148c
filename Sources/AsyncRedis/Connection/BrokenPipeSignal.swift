internal import CHiredis

/// SIGPIPE handling for the process.
///
/// Commands go out with `send(MSG_NOSIGNAL)`, but hiredis writes the connect handshake (AUTH, SELECT) with
/// plain `write(2)`, so a write to a socket the server has reset could raise SIGPIPE, whose default action
/// ends the process. On the first ``RedisClient`` creation the client
/// sets SIGPIPE to `SIG_IGN` — unless the program has already installed a handler or ignores it — so such
/// a write fails with `EPIPE` and becomes a ``RedisError`` instead.
enum BrokenPipeSignal {
    /// Evaluated once per process (Swift initialises a static stored property exactly once, thread-safely).
    static let ignoredUnlessHandled: Void = {
        _ = chiredis_ignore_sigpipe_if_default()
    }()
}
