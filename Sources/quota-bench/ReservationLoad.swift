import Foundation
import NIOCore
import NIOHTTP1

/// Reserve + commit pairs over HTTP (against quotad, or webdis as the reference), one worker per keep-alive
/// connection: a closed loop (each worker sends its next pair when the previous one is answered) for the
/// maximum rate, and an open loop (pair `i` is due at
/// `start + i / rate`, workers take every `n`-th) whose latency is measured from the due time, so a stalled
/// server is charged for every pair it delays (no coordinated omission).
struct ReservationLoad: Sendable {
    /// One connection per worker.
    let connections: [HTTPBenchConnection]
    /// Sends pair `number` (with id `id`) on a connection; fails unless both answers are the expected ones.
    let pair: @Sendable (_ connection: HTTPBenchConnection, _ id: String, _ number: Int) -> EventLoopFuture<Void>

    /// Pairs against quotad: `POST …/reservations` with a caller-chosen id (201), then
    /// `POST …/reservations/{id}/commit` (200) with the id quotad answers, `res:<user>:<caller's id>`. Users
    /// `u0` … `u<users - 1>` take the pairs in turn.
    static func quotad(connections: [HTTPBenchConnection], tenant: String, users: Int) -> ReservationLoad {
        ReservationLoad(connections: connections) { connection, id, number in
            let user = "u\(number % users)"
            let reserve = #"{"user":"\#(user)","model":"gpt-4o","provider":"openai","input_tokens":1000,"max_output_tokens":500,"ttl_seconds":600,"reservation_id":"\#(id)"}"#
            let commit = #"{"user":"\#(user)","model":"gpt-4o","provider":"openai","usage":{"input_tokens":1000,"cached_input_tokens":400,"output_tokens":200,"reasoning_tokens":50}}"#
            return connection.send(.POST, "/v1/tenants/\(tenant)/reservations", body: reserve, expect: 201).flatMap { _ in
                connection.send(.POST, "/v1/tenants/\(tenant)/reservations/res:\(user):\(id)/commit", body: commit, expect: 200)
            }.map { _ in () }
        }
    }

    /// The reference pairs: webdis running the two `EVALSHA`s quotad sends for one pair (captured), as
    /// `GET /EVALSHA/…` paths in which `userMark` and `idMark` stand for the user number and the
    /// reservation id. Each answer must be 200 with the script's success reply (`[1,…`).
    static func webdis(
        connections: [HTTPBenchConnection], reservePath: String, commitPath: String, userMark: String, idMark: String, users: Int
    ) -> ReservationLoad {
        @Sendable func path(_ template: String, user: String, id: String) -> String {
            template.replacingOccurrences(of: userMark, with: user).replacingOccurrences(of: idMark, with: id)
        }
        @Sendable func succeeded(_ response: HTTPBenchResponse, _ request: String) throws {
            guard response.text.hasPrefix(#"{"EVALSHA":[1,"#) else {
                throw HTTPBenchError("webdis \(request) did not succeed: \(response.text.prefix(300))")
            }
        }
        return ReservationLoad(connections: connections) { connection, id, number in
            let user = String(number % users)
            return connection.send(.GET, path(reservePath, user: user, id: id), expect: 200).flatMapThrowing { try succeeded($0, "reserve") }
                .flatMap { connection.send(.GET, path(commitPath, user: user, id: id), expect: 200) }
                .flatMapThrowing { try succeeded($0, "commit") }
        }
    }

    /// Runs pairs from every worker until `end`; returns how many completed. Ids are `<run>-<n>`.
    func closedLoop(run: String, until end: NIODeadline) async throws -> Int {
        let counts = connections.indices.map { worker in
            let promise = connections[worker].eventLoop.makePromise(of: Int.self)
            closedStep(worker: worker, done: 0, run: run, end: end, promise: promise)
            return promise.futureResult
        }
        var total = 0
        for count in counts { total += try await count.get() }
        return total
    }

    private func closedStep(worker: Int, done: Int, run: String, end: NIODeadline, promise: EventLoopPromise<Int>) {
        guard NIODeadline.now() < end else { return promise.succeed(done) }
        let number = worker + done * connections.count
        pair(connections[worker], "\(run)-\(number)", number).whenComplete { result in
            switch result {
            case .failure(let error): promise.fail(error)
            case .success: closedStep(worker: worker, done: done + 1, run: run, end: end, promise: promise)
            }
        }
    }

    /// Runs `total` pairs due at `start + i * interval`; returns each pair's latency from its due time, in µs.
    func openLoop(run: String, total: Int, interval: TimeAmount, start: NIODeadline) async throws -> [UInt64] {
        let logs = connections.indices.map { worker in
            let connection = connections[worker]
            let promise = connection.eventLoop.makePromise(of: [UInt64].self)
            var reserved = [UInt64]()
            reserved.reserveCapacity(total / connections.count + 1)
            let log = NIOLoopBoundBox.makeBoxSendingValue(reserved, eventLoop: connection.eventLoop)
            connection.eventLoop.execute {
                openStep(worker: worker, index: worker, run: run, total: total, interval: interval, start: start, log: log, promise: promise)
            }
            return promise.futureResult
        }
        var latencies: [UInt64] = []
        for log in logs { latencies += try await log.get() }
        return latencies
    }

    private func openStep(
        worker: Int, index: Int, run: String, total: Int, interval: TimeAmount, start: NIODeadline,
        log: NIOLoopBoundBox<[UInt64]>, promise: EventLoopPromise<[UInt64]>
    ) {
        guard index < total else { return promise.succeed(log.value) }
        let connection = connections[worker]
        let due = start + .nanoseconds(interval.nanoseconds * Int64(index))
        connection.eventLoop.scheduleTask(deadline: due) {
            pair(connection, "\(run)-\(index)", index).whenComplete { result in
                switch result {
                case .failure(let error): promise.fail(error)
                case .success:
                    log.value.append(UInt64(max(0, (NIODeadline.now() - due).nanoseconds / 1000)))
                    openStep(worker: worker, index: index + connections.count, run: run, total: total, interval: interval, start: start, log: log, promise: promise)
                }
            }
        }
    }
}
