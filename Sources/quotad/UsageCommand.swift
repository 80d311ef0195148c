import ArgumentParser
import Foundation
import QuotadServer

/// `quotad usage ...`: offline tools for provider usage.
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usage",
        abstract: "Read and price provider usage without a server.",
        subcommands: [Parse.self]
    )

    /// `quotad usage parse [--provider P] [--model M] [FILE|-]`
    struct Parse: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a provider response's canonical usage and cost as one JSON object.",
            discussion: "Reads a JSON body or SSE text (a stream) from FILE or standard input. Errors are printed as JSON to stderr with a non-zero exit."
        )

        @Option(help: "The provider (openai, azure_openai, mistral, openai_compatible, anthropic, aws_bedrock, google_gemini); detected when omitted.")
        var provider: String?

        @Option(help: "The model name; taken from the body when omitted.")
        var model: String?

        @Option(help: "A pricing file (YAML or LiteLLM JSON) merged over the bundled prices (default: $QUOTAD_PRICING_FILE).")
        var pricing: String?

        @Argument(help: "The response file, or - for standard input.")
        var file: String = "-"

        func run() async throws {
            let bytes: [UInt8]
            if file == "-" {
                bytes = Array(FileHandle.standardInput.readDataToEndOfFile())
            } else {
                guard let data = FileManager.default.contents(atPath: file) else {
                    fail(code: "unreadable_file", message: "cannot read \(file)")
                }
                bytes = Array(data)
            }
            do {
                let report = try UsageParseReport.make(
                    body: bytes, providerName: provider, model: model,
                    pricingFile: pricing ?? ProcessInfo.processInfo.environment["QUOTAD_PRICING_FILE"]
                )
                print(report.json())
            } catch {
                fail(code: error.code, message: error.message)
            }
        }

        private func fail(code: String, message: String) -> Never {
            FileHandle.standardError.write(Data((UsageParseReport.errorJSON(code: code, message: message) + "\n").utf8))
            Foundation.exit(1)
        }
    }
}
