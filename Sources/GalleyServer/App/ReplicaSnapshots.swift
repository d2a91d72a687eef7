import Foundation
import GalleyCore
import GalleyStore
import Logging
import ServiceLifecycle

/// Prepared replicas for the first sync of a reviewer's laptop (``ClientReplica/makeSnapshot``),
/// kept under the data dir in `snapshots/`.
///
/// Only reviewers get one: editors and admins all see every article as it is, so one file serves
/// them all, while what an analyst sees depends on who they are (their own drafts) and is pulled
/// page by page, as before. A snapshot may lag the archive: the laptop pulls on from its cursor.
/// One is made in the background once the archive has `minimumEvents` events (``SnapshotKeeper``
/// looks every 30 seconds), and made again once it lags by more than a fifth of the archive (at
/// least `minimumEvents`), so that a first sync never pulls much more than a fifth of the archive
/// by pages. The newest and the one before it are kept; what an earlier run left is removed.
package actor ReplicaSnapshots {
    package struct Snapshot: Sendable {
        package let path: String
        package let cursor: Int64
        package let epoch: String
        package let schema: String
    }

    private let archive: any ArchiveStore
    private let folder: URL
    private let minimumEvents: Int64
    private let logger = Logger(label: "galley.snapshots")
    private var current: Snapshot?
    private var building: Task<Void, Never>?
    /// When making one last failed: the next try waits five minutes (each reads the archive).
    private var failedAt: Date?
    /// The snapshot before the current one, kept until the next is made: a laptop may still be
    /// downloading it.
    private var previous: Snapshot?

    /// Whether what an earlier run of the server left in the folder was removed yet.
    private var swept = false

    package init(archive: any ArchiveStore, dataDir: String, minimumEvents: Int64) {
        self.archive = archive
        self.folder = URL(fileURLWithPath: dataDir).appendingPathComponent("snapshots")
        self.minimumEvents = minimumEvents
    }

    /// The snapshot to hand out now, if any; starts making a newer one when this one lags.
    package func snapshot() async -> Snapshot? {
        if !swept {
            swept = true
            removeLeftovers()
        }
        guard let latest = try? await archive.latestSequence(), let epoch = try? await archive.epoch() else { return current }
        if let snapshot = current, snapshot.epoch != epoch {
            // The archive was restored from a backup: another history.
            current = nil
            remove(snapshot)
        }
        let lag = latest - (current?.cursor ?? 0)
        let resting = failedAt.map { Date().timeIntervalSince($0) < 300 } ?? false
        if building == nil, !resting, latest >= minimumEvents, current == nil || lag > max(minimumEvents, latest / 5) {
            building = Task { await self.make() }
        }
        return current
    }

    /// The snapshot handed out now, without looking whether a newer one is due.
    package var ready: Snapshot? { current }

    /// Waits for the snapshot being made, if one is (tests, and the server's start).
    package func settle() async {
        await building?.value
    }

    private func make() async {
        defer { building = nil }
        // The process's id in the name: servers on PostgreSQL may share a data dir, and each
        // sweeps only what no running server made.
        let name = "reviewers-\(getpid())-\(UUIDText.lowercased(UUID()))"
        let path = folder.appendingPathComponent(name + ".sqlite").path
        let partial = folder.appendingPathComponent(name + ".partial").path
        let started = Date()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let viewer = ChangeApplier.Actor(name: "", role: .editor)
            let archive = self.archive
            let (cursor, epoch) = try await ClientReplica.makeSnapshot(
                at: partial, page: { cursor in try await archive.pull(since: cursor, limit: 500, maxBytes: SyncController.maxPullBytes, viewer: viewer) },
                revision: { try await archive.revision($0) })
            try FileManager.default.moveItem(atPath: partial, toPath: path)
            // GRDB keeps a pool's log files (persistent WAL); the file needs neither.
            for leftover in [partial + "-wal", partial + "-shm"] { try? FileManager.default.removeItem(atPath: leftover) }
            if let previous { remove(previous) }
            previous = current
            current = Snapshot(path: path, cursor: cursor, epoch: epoch, schema: ClientReplica.schemaVersion)
            failedAt = nil
            logger.info("made a replica snapshot for first syncs", metadata: [
                "cursor": "\(cursor)", "seconds": "\(Int(Date().timeIntervalSince(started)))",
            ])
        } catch {
            for leftover in [partial, partial + "-wal", partial + "-shm", path] { try? FileManager.default.removeItem(atPath: leftover) }
            failedAt = Date()
            logger.error("could not make a replica snapshot; first syncs pull page by page", metadata: ["error": "\(error)"])
        }
    }

    /// What earlier runs of the server left: their snapshots (this run hands out only its own)
    /// and any half-made one a crash left behind; not what another running server made.
    private func removeLeftovers() {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix("reviewers-") {
            let maker = name.dropFirst("reviewers-".count).split(separator: "-").first.flatMap { Int32($0) }
            if let maker, maker != getpid(), kill(maker, 0) == 0 || errno == EPERM { continue }
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
    }

    private func remove(_ snapshot: Snapshot) {
        try? FileManager.default.removeItem(atPath: snapshot.path)
    }
}

/// Keeps the prepared replica up with the archive, in the background: without it one was made
/// only when an editor asked, who then pulled by pages (or from a stale one) meanwhile.
package struct SnapshotKeeper: Service {
    let snapshots: ReplicaSnapshots
    var interval: Duration = .seconds(30)

    package init(snapshots: ReplicaSnapshots) {
        self.snapshots = snapshots
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                _ = await snapshots.snapshot()
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }
}
