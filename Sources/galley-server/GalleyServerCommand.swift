import ArgumentParser
import Foundation
import GalleyCore
import GalleyPostgres
import GalleyServer
import GalleyStore
import Hummingbird
import Logging
import Metrics
import Prometheus

@main
struct GalleyServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "galley-server",
        abstract: "The Galley editorial archive: sync, review and publishing over HTTP.",
        discussion: "Configuration: ServerConfig/galley-server.yaml documents every key; --config FILE reads one, and GALLEY_* environment variables override it.",
        version: GalleyVersion.string,
        subcommands: [Serve.self, UserCommand.self, CategoryCommand.self, Backup.self, CopyToPostgres.self],
        defaultSubcommand: Serve.self)
}

/// Runs a command's work; a refusal (a duplicate user, a bad password) is an error message and
/// exit status 1, not a usage error with the usage text after it.
func perform(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as GalleyError {
        FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
        throw ExitCode(1)
    }
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

    /// The archive under the configured data dir (it must exist for anything but `serve`).
    /// The archive the configuration names.
    /// - Parameter creating: make an embedded archive if there is none yet, so the first users
    ///   and categories can be added before the server's first start. Commands that only read or
    ///   change what exists never make one (a mistyped data dir would look like an empty archive).
    func archive(creating: Bool = false) async throws -> (ServerConfiguration, any ArchiveStore) {
        let configuration = try load()
        if configuration.databaseURL != nil {
            do {
                return (configuration, try await openArchive(configuration, logger: Logger(label: "galley-server")).0)
            } catch let error as StartupError {
                throw CommandFailure(error.description)
            }
        }
        if !FileManager.default.fileExists(atPath: configuration.archivePath) {
            guard creating else {
                throw CommandFailure(
                    "There is no archive at \(configuration.archivePath); add a user (galley-server user add NAME) or start the server once (galley-server) to make one, or set --config / GALLEY_DATA_DIR.")
            }
            do { try checkDataDir(configuration.dataDir) } catch let error as StartupError { throw CommandFailure(error.description) }
            FileHandle.standardError.write(Data("Making a new archive at \(configuration.archivePath).\n".utf8))
        }
        return (configuration, try SQLiteArchive(path: configuration.archivePath))
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the server (the default).")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try options.load()
        Self.boundMallocArenas()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "galley-server")
        let app = try await buildApplication(configuration: configuration, logger: logger, metrics: registry) { message in
            // Unbuffered, so that whoever started the server sees it at once.
            FileHandle.standardOutput.write(Data((message + "\n").utf8))
        }
        logger.info("serving", metadata: ["address": "\(configuration.host):\(configuration.port)", "archive": "\(configuration.databaseURL.flatMap { try? DatabaseURL($0).description } ?? configuration.archivePath)"])
        try await app.runService()
        logger.info("stopped")
    }

    /// glibc gives each thread that allocates while another holds an arena an arena of its own,
    /// up to eight per core, and frees memory back to the one it came from: with requests
    /// hopping between the concurrency pool's, NIO's and GRDB's threads, freed memory piled up
    /// in arenas other threads no longer used. Under a steady push load the server grew from 66
    /// to 107 MiB in ten minutes; with one arena per core it stays flat (58 to 64 MiB over three
    /// minutes). `MALLOC_ARENA_MAX` in the environment still decides when it is set.
    static func boundMallocArenas() {
        #if canImport(Glibc)
        guard ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil else { return }
        // <malloc.h> is not in the Glibc module: mallopt and M_ARENA_MAX (-8) by hand.
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        _ = mallopt(-8, Int32(max(2, ProcessInfo.processInfo.activeProcessorCount)))
        #endif
    }
}

struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage users (works while the server runs).",
        subcommands: [Add.self, List.self, Disable.self, Enable.self, SetRole.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a user; prints a new password unless --password-stdin is given.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "The login name.") var name: String
        @Option(help: "analyst, editor or admin.") var role: Role = .analyst
        @Flag(help: "Read the password from standard input (one line).") var passwordStdin = false

        func run() async throws {
            let (configuration, archive) = try await options.archive(creating: true)
            var password = Passwords.newPassword()
            if passwordStdin {
                guard let line = readLine(strippingNewline: true), !line.isEmpty else {
                    throw ValidationError("No password on standard input.")
                }
                password = line
            }
            let name = AccountRules.canonicalUserName(name)
            try await perform {
                try AccountRules.checkNewUserName(name)
                try AccountRules.checkPassword(password)
                let hash = await Passwords.hash(password, cost: configuration.bcryptCost)
                try await archive.createUser(StoredUser(name: name, role: role, passwordHash: hash, createdAt: Timestamp.canonical(Date())), by: "galley-server")
                print(passwordStdin ? "Added \(role.rawValue) '\(name)'." : "Added \(role.rawValue) '\(name)' with the password: \(password)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List users.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let (_, archive) = try await options.archive()
            for user in try await archive.users() {
                print("\(user.name)\t\(user.role.rawValue)\(user.disabled ? "\tdisabled" : "")")
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "disable", abstract: "Disable a user; their sessions end at once.")
        @OptionGroup var options: ConfigOptions
        @Argument var name: String

        func run() async throws {
            let (_, archive) = try await options.archive()
            try await perform { try await archive.setDisabled(name, true, by: "galley-server", at: Timestamp.canonical(Date())) }
            print("Disabled '\(name)'.")
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "enable", abstract: "Enable a disabled user.")
        @OptionGroup var options: ConfigOptions
        @Argument var name: String

        func run() async throws {
            let (_, archive) = try await options.archive()
            try await perform { try await archive.setDisabled(name, false, by: "galley-server", at: Timestamp.canonical(Date())) }
            print("Enabled '\(name)'.")
        }
    }

    struct SetRole: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "role", abstract: "Give a user another role; it holds at once, in every session of theirs.")
        @OptionGroup var options: ConfigOptions
        @Argument var name: String
        @Argument(help: "analyst, editor or admin.") var role: Role

        func run() async throws {
            let (_, archive) = try await options.archive()
            try await perform { try await archive.setRole(name, role, by: "galley-server", at: Timestamp.canonical(Date())) }
            print("'\(name)' is now an \(role.rawValue).")
        }
    }
}

extension Role: ExpressibleByArgument {}

struct CategoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "category", abstract: "Manage the list of categories articles may name.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Add a category.")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "Its slug, as articles name it (lowercase, hyphens).") var slug: String
        @Argument(help: "Its name, as readers see it.") var name: String

        func run() async throws {
            let (_, archive) = try await options.archive(creating: true)
            try await perform { try await archive.addCategory(Category(slug: slug, name: name), by: "galley-server", at: Timestamp.canonical(Date())) }
            print("Added the category '\(slug)' (\(name)).")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List categories.")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let (_, archive) = try await options.archive()
            for c in try await archive.categories() { print("\(c.slug)\t\(c.name)") }
        }
    }
}

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "Write a consistent copy of the archive to FILE, while the server runs.",
        discussion: "To restore: stop the server, copy FILE to <data-dir>/archive.sqlite (removing any -wal and -shm files), start it. Clients notice the restored archive and pull it again from the start, keeping their unsent changes.")
    @OptionGroup var options: ConfigOptions
    @Argument(help: "Where to write the copy; must not exist.") var file: String

    func run() async throws {
        guard !FileManager.default.fileExists(atPath: file) else {
            throw ValidationError("\(file) already exists; choose a new file name.")
        }
        let (_, archive) = try await options.archive()
        try await archive.backup(to: file)
        print("Backed up the archive to \(file).")
    }
}

struct CopyToPostgres: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy-to-postgres",
        abstract: "Copy the embedded SQLite archive (under the data dir) into an empty PostgreSQL database, and verify the copy.",
        discussion: """
            Stop galley-server first: what it takes after the copy began is not copied. The copy is all or nothing; it \
            keeps every event number and the archive's epoch, so clients go on syncing from where they were, without \
            pulling again. Then set database_url (GALLEY_DATABASE_URL) to URL and start the servers. The SQLite archive \
            is left as it was.
            """)
    @OptionGroup var options: ConfigOptions
    @Argument(help: "The PostgreSQL database, postgres://user:password@host:port/database; it must hold no archive yet.") var url: String

    func run() async throws {
        let configuration = try options.load()
        guard FileManager.default.fileExists(atPath: configuration.archivePath) else {
            throw CommandFailure("There is no SQLite archive at \(configuration.archivePath) to copy; set --config or GALLEY_DATA_DIR to the data dir it is in.")
        }
        let target: DatabaseURL
        do { target = try DatabaseURL(url) } catch { throw ValidationError("\(error)") }
        // Held through the copy: no server may start on the archive meanwhile.
        do { try DataDirLock.take(configuration.dataDir) } catch let error as DataDirBusy { throw CommandFailure(error.description) }
        let source = try SQLiteArchive(path: configuration.archivePath)
        let archive: PostgresArchive
        do {
            archive = try await PostgresArchive(url: target, logger: Logger(label: "galley-server"))
        } catch let error as DatabaseUnreachable {
            throw CommandFailure("Cannot reach the PostgreSQL database at \(target): \(error.reason).")
        } catch {
            throw CommandFailure("The PostgreSQL database at \(target) cannot hold the archive: \(error)")
        }
        defer { archive.close() }
        let report: ArchiveCopy.Report
        let started = Date()
        do {
            report = try await ArchiveCopy.copy(from: source, media: URL(fileURLWithPath: configuration.mediaPath), to: archive)
        } catch let error as CopyError {
            throw CommandFailure("\(error) Nothing was written to PostgreSQL.")
        } catch let error as StoreError {
            throw CommandFailure("The copy failed (\(error)); nothing was written to PostgreSQL.")
        }
        try await source.markMoved(to: "\(target)")
        print("Copied \(configuration.archivePath) into \(target) in \(String(format: "%.1f", Date().timeIntervalSince(started))) s:")
        print(report)
        print("""
            The SQLite archive is marked as moved: a galley-server started on it refuses, naming this database.
            Now set database_url (GALLEY_DATABASE_URL) to that database and start the servers; clients keep syncing as before.
            """)
    }
}

/// A command that could not do its work: said as is, exit status 1, no usage text.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
