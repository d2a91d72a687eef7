import ArgumentParser
import Foundation
import GalleyServer
import Hummingbird
import Logging

@main
struct GalleyServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "galley-server",
        abstract: "The Galley editorial archive: sync, review and publishing over HTTP.",
        subcommands: [Serve.self],
        defaultSubcommand: Serve.self)
}

/// Options every subcommand that opens the archive shares.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "A YAML configuration file (see ServerConfig/galley-server.yaml). Environment variables override it.")
    var config: String?

    func load() throws -> ServerConfiguration {
        do {
            return try ServerConfiguration.load(file: config ?? ProcessInfo.processInfo.environment["GALLEY_CONFIG"])
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server (the default).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try options.load()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let logger = Logger(label: "galley-server")
        let app = try await buildApplication(configuration: configuration, logger: logger) { message in
            // Unbuffered, so that whoever started the server sees it at once.
            FileHandle.standardOutput.write(Data((message + "\n").utf8))
        }
        logger.info("serving", metadata: ["address": "\(configuration.host):\(configuration.port)", "data": "\(configuration.dataDir)"])
        try await app.runService()
    }
}
