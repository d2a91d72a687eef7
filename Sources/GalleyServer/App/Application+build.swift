import Foundation
import GalleyCore
import GalleyPostgres
import GalleySite
import GalleyStore
import Hummingbird
import Logging
import Prometheus

/// What the controllers share: the archive, where images are kept, the configuration and the clock.
package struct ServerEnvironment: Sendable {
    package let archive: any ArchiveStore
    package let media: any MediaStore
    package let configuration: ServerConfiguration
    package let clock: @Sendable () -> Date
    /// Where swift-metrics values are collected for `/metrics`, when the process bootstrapped it.
    package let metrics: PrometheusCollectorRegistry?
    /// Prepared replicas for reviewers' first syncs.
    package let snapshots: ReplicaSnapshots

    /// - Parameter media: by default, files in the configured media folder.
    package init(
        archive: any ArchiveStore, media: (any MediaStore)? = nil, configuration: ServerConfiguration,
        clock: @escaping @Sendable () -> Date = { Date() }, metrics: PrometheusCollectorRegistry? = nil
    ) {
        self.archive = archive
        self.media = media ?? FolderMediaStore(folder: URL(fileURLWithPath: configuration.mediaPath))
        self.configuration = configuration
        self.clock = clock
        self.metrics = metrics
        self.snapshots = ReplicaSnapshots(archive: archive, dataDir: configuration.dataDir, minimumEvents: configuration.snapshotMinimumEvents)
    }

    /// Now, rounded to the millisecond like every stored time.
    package var now: Date { Timestamp.canonical(clock()) }
}

/// Opens the archive under the data dir (creating both if needed), makes the first admin if the
/// archive has no users, and builds the application.
///
/// - Parameter announce: told the first admin's password, once; `galley-server` prints it.
package func buildApplication(
    configuration: ServerConfiguration, logger: Logger, metrics: PrometheusCollectorRegistry? = nil,
    announce: @Sendable (String) -> Void = { print($0) }
) async throws -> some ApplicationProtocol {
    let (archive, media) = try await openArchive(configuration, logger: logger)
    let environment = ServerEnvironment(archive: archive, media: media, configuration: configuration, metrics: metrics)
    try await bootstrapAdmin(environment, announce: announce)
    return try buildApplication(environment: environment, logger: logger)
}

/// The configured archive: PostgreSQL when `database_url` names one (images in it too, so every
/// server serves them), else the embedded SQLite archive under the data dir. Media nil: files
/// in the data dir.
package func openArchive(_ configuration: ServerConfiguration, logger: Logger) async throws -> (any ArchiveStore, (any MediaStore)?) {
    guard let text = configuration.databaseURL else {
        try checkDataDir(configuration.dataDir)
        do { try DataDirLock.take(configuration.dataDir) } catch let error as DataDirBusy { throw StartupError(description: error.description) }
        let archive = try SQLiteArchive(path: configuration.archivePath)
        if let place = try await archive.movedTo() {
            throw StartupError(description: """
                The archive in \(configuration.archivePath) was copied to \(place) with copy-to-postgres, and is served from there: \
                set database_url (GALLEY_DATABASE_URL) to that database. (Serving this copy would take changes PostgreSQL never sees; \
                if you mean to go back to it, remove the mark: sqlite3 \(configuration.archivePath) "DELETE FROM meta WHERE key = 'moved_to'".)
                """)
        }
        return (archive, nil)
    }
    let url: DatabaseURL
    do { url = try DatabaseURL(text) } catch let error as DatabaseURLError { throw StartupError(description: error.description) }
    do {
        let archive = try await PostgresArchive(url: url, logger: logger)
        return (archive, PostgresMediaStore(archive: archive))
    } catch let error as DatabaseUnreachable {
        throw StartupError(description: "Cannot reach the PostgreSQL database at \(url): \(error.reason). Is PostgreSQL running and listening there, and does database_url (GALLEY_DATABASE_URL) name it, with the right user and password?")
    } catch StoreError.unavailable {
        throw StartupError(description: "Cannot reach the PostgreSQL database at \(url) within 5 seconds. Is PostgreSQL running and listening there, and does database_url (GALLEY_DATABASE_URL) name it, with the right user and password?")
    } catch let error as StoreError {
        throw StartupError(description: "The PostgreSQL database at \(url) cannot hold the archive: \(error)")
    }
}

/// Why the server cannot start; printed as is.
package struct StartupError: Error, CustomStringConvertible {
    package let description: String
}

/// Refuses, with a message that says what to do, a data dir the server could read but never
/// write: better than starting and failing every write, or SQLite's "unable to open database".
package func checkDataDir(_ path: String) throws {
    do {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
        throw StartupError(description: "The data dir \(path) cannot be created (\(error.localizedDescription)); create it, or set GALLEY_DATA_DIR to a folder galley-server may write.")
    }
    guard access(path, W_OK) == 0 else {
        let reason = errno == EROFS ? "is on a read-only file system" : "cannot be written (\(String(cString: strerror(errno))))"
        throw StartupError(description: "The data dir \(path) \(reason); galley-server keeps its archive there and must write to it. Remount it read-write, fix its permissions, or set GALLEY_DATA_DIR.")
    }
}

/// The application over an archive the caller opened (tests use an in-memory one). Tests that
/// drive scheduled publishing by hand, on a clock they move, leave `scheduling` off: a background
/// round running beside theirs would take the turn (on PostgreSQL, the round's lock) from them.
package func buildApplication(environment: ServerEnvironment, logger: Logger, scheduling: Bool = true) throws -> some ApplicationProtocol {
    let router = try buildRouter(environment)
    // Each connection's client has this long to send the next part of a request, to send a
    // new one on a kept-alive connection, or to read some of an answer; then it is closed.
    let timeout = environment.configuration.clientTimeoutSeconds
    return Application(
        responder: HeadAsGet(inner: router.buildResponder()),
        server: .http1(configuration: .init(
            additionalChannelHandlers: [StalledClientHandler(timeout: .seconds(Int64(timeout))), UnparsableRequestHandler()],
            idleTimeout: .seconds(Int64(timeout)))),
        configuration: .init(
            address: .hostname(environment.configuration.host, port: environment.configuration.port), serverName: "galley"),
        services: scheduling ? [ScheduledPublisher(environment: environment, logger: logger), SnapshotKeeper(snapshots: environment.snapshots)] : [],
        logger: logger)
}

/// The router with every controller's routes.
package func buildRouter(_ environment: ServerEnvironment) throws -> Router<GalleyRequestContext> {
    let router = Router(context: GalleyRequestContext.self)
    router.add(middleware: RequestLogMiddleware())
    router.add(middleware: SecurityHeadersMiddleware())
    router.add(middleware: MetricsMiddleware())
    let site = try PublicSiteController(environment: environment)
    let templates = RouteTemplates()
    var problems = ProblemMiddleware<GalleyRequestContext>(routes: templates)
    let renderer = site.renderer
    let desk = try DeskRenderer(siteName: environment.configuration.siteName, timeZone: TimeZone(identifier: environment.configuration.timeZone) ?? .current)
    problems.htmlPage = { problem, path in
        DeskCookie.applies(to: path)
            ? desk.errorPage(status: problem.code.status, detail: problem.message)
            : renderer.errorPage(status: problem.code.status, detail: problem.message, path: path)
    }
    router.add(middleware: problems)
    router.add(middleware: AuthenticationMiddleware(environment: environment))
    OperationsController(environment: environment).addRoutes(to: router)
    let throttle = LoginThrottle()
    SessionController(environment: environment, throttle: throttle).addRoutes(to: router)
    try DeskController(environment: environment, throttle: throttle, site: site.renderer).addRoutes(to: router)
    SyncController(environment: environment).addRoutes(to: router)
    ArticleController(environment: environment).addRoutes(to: router)
    AdminController(environment: environment).addRoutes(to: router)
    MediaController(environment: environment).addRoutes(to: router)
    site.addRoutes(to: router)
    // The router's own list of what it routes: the 405 answers, the contract test and the
    // authorization matrix all read it, so none can drift from the routes.
    templates.load(router.routes.map { ($0.method.rawValue, $0.path.description) })
    return router
}

/// Every route as (method, OpenAPI path), as the router has them: `get /v1/articles/{id}`.
func routeTable(_ environment: ServerEnvironment) throws -> [(method: String, path: String)] {
    try buildRouter(environment).routes.map { ($0.method.rawValue.lowercased(), $0.path.description) }
}

/// On first start an archive has no admin (none at all, or only the users `galley-server user
/// add` made before it): create `admin` with the password from `GALLEY_ADMIN_PASSWORD`, or a
/// random one that is announced once and stored only as a hash.
package func bootstrapAdmin(_ environment: ServerEnvironment, announce: @Sendable (String) -> Void) async throws {
    let users = try await environment.archive.users()
    guard !users.contains(where: { $0.role == .admin }) else { return }
    guard !users.contains(where: { $0.name == "admin" }) else {
        announce("There is no admin, and the name 'admin' is another role's; add one with: galley-server user add NAME --role admin")
        return
    }
    let chosen = environment.configuration.adminPassword
    let password = chosen ?? Passwords.newPassword()
    let hash = await Passwords.hash(password, cost: environment.configuration.bcryptCost)
    do {
        try await environment.archive.createUser(StoredUser(name: "admin", role: .admin, passwordHash: hash, createdAt: environment.now), by: "galley-server")
    } catch let error as GalleyError where error.code == .alreadyExists {
        // Another server on the same database started at the same moment and made the admin.
        return
    }
    if chosen == nil {
        announce("""
            Created the first user 'admin' with the password: \(password)
            It is shown only this once; keep it somewhere safe (or set GALLEY_ADMIN_PASSWORD before the first start).
            """)
    } else {
        announce("Created the first user 'admin' with the password from GALLEY_ADMIN_PASSWORD.")
    }
}
