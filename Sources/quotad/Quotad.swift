import ArgumentParser
import QuotaHTTP

/// `quotad`: the quota service. `quotad` alone runs `quotad serve`.
@main
struct Quotad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quotad",
        abstract: "A Redis-backed multi-tenant LLM token quota service.",
        version: "quotad \(QuotadVersion.string)",
        subcommands: [Serve.self, UsageCommand.self, MigrateCommand.self],
        defaultSubcommand: Serve.self
    )
}
