import Foundation
import GalleyCore
import GalleyStore

/// One `galley sync`: push the outbox, then pull until up to date. Every step is stored before
/// the next begins, so it is safe to interrupt at any point and run again.
package struct SyncEngine: Sendable {
    package let replica: ClientReplica
    package let api: ServerAPI
    package var pushBatch = 200
    package var pullLimit = 500
    package var clock: @Sendable () -> Date = { Date() }
    /// Where attached images wait to be uploaded (`.galley/media`).
    package var mediaDirectory: URL?
    /// Where a reviewer's first sync keeps the server's prepared replica while it is installed
    /// (nil: always pull page by page).
    package var snapshotFile: URL?

    package init(replica: ClientReplica, api: ServerAPI) {
        self.replica = replica
        self.api = api
    }

    package struct Progress: Sendable {
        package enum Phase: Sendable { case pushing, pulling }
        package var phase: Phase
        package var done: Int
        package var total: Int?
        package var elapsed: TimeInterval
    }

    package struct Report: Encodable, Sendable {
        package var server: String
        package var pushed = 0
        package var applied = 0
        package var merged = 0
        /// Changes of yours that the server kept with a conflict.
        package var conflicted = 0
        package var rejected: [Rejection] = []
        package var uploadedImages = 0
        package var pulledArticles = 0
        package var pulledPages = 0
        package var openConflicts = 0
        /// The first sync started from the server's prepared replica, then pulled on from it
        /// (then `pulledArticles` is how many articles the workspace has).
        package var fromSnapshot = false
        /// Why a prepared replica the server gave was not used (then the sync pulled by pages).
        package var snapshotUnused: String?
        /// The server's archive was restored from a backup and was pulled again from the start.
        package var epochReset = false
        /// What others did to your articles since the last sync: notes, requests, approvals, publications.
        package var news: [News] = []

        package struct News: Encodable, Sendable {
            package var article: String
            package var title: String
            package var actor: String
            /// `note`, or a workflow step (`changes_requested`, `approved`, `published`, …).
            package var what: String
            package var text: String?
        }

        package struct Rejection: Encodable, Sendable {
            package var change: String
            package var article: String
            package var code: String
            package var message: String
            /// Whether it carried words, which the workspace keeps (`galley refused`).
            package var keptWords: Bool
        }
    }

    package func run(progress: @Sendable (Progress) -> Void = { _ in }) async throws -> Report {
        let start = clock()
        var report = Report(server: api.baseURL)

        // A restored archive is another history: forget what was pulled, keep (and resend) the outbox.
        let epoch = try await api.epoch()
        if let known = try replica.syncState().epoch, known != epoch {
            try replica.resetForNewEpoch(now: Timestamp.canonical(clock()))
            report.epochReset = true
        }
        // The lists that offline checks need: categories, and who may be named an author.
        try replica.setCategories(try await api.categories())
        try replica.setUsers(try await api.authors())

        // Images first, so that no pushed article names an image the server lacks.
        if let mediaDirectory {
            for name in try replica.mediaToUpload() {
                guard let data = FileManager.default.contents(atPath: mediaDirectory.appendingPathComponent(name).path) else { continue }
                try await api.uploadMedia([UInt8](data))
                try replica.markUploaded(name)
                report.uploadedImages += 1
            }
        }

        // Push, in order, in batches; each answer is stored before the next batch goes.
        let pending = try replica.pendingChanges()
        var index = 0
        while index < pending.count {
            var batch: [Change] = []
            var bytes = 0
            while index < pending.count, batch.count < pushBatch {
                let change = pending[index].change
                let size = (change.set.body?.utf8.count ?? 0) + (change.previous.body?.utf8.count ?? 0) + 1024
                if !batch.isEmpty && bytes + size > 6 << 20 { break }
                batch.append(change)
                bytes += size
                index += 1
            }
            let results = try await api.push(batch)
            try replica.acknowledge(results, now: Timestamp.canonical(clock()))
            for (change, result) in zip(batch, results) {
                report.pushed += 1
                switch result.status {
                case .applied: report.applied += 1
                case .merged: report.merged += 1
                case .conflict: report.conflicted += 1
                case .rejected:
                    report.rejected.append(.init(
                        change: change.id.description, article: change.articleID.short,
                        code: result.error?.code.rawValue ?? "rejected", message: result.error?.message ?? "", keptWords: change.carriesWords))
                }
            }
            progress(Progress(phase: .pushing, done: index, total: pending.count, elapsed: clock().timeIntervalSince(start)))
        }

        // Pull until up to date; the cursor moves only with the page it belongs to. The next page
        // is fetched while this one is stored: if storing fails, the fetched page is simply dropped.
        var cursor = try replica.syncState().cursor
        let firstSync = cursor == 0
        let me = try replica.actor().name
        if let snapshotFile { Self.removeLeftoverSnapshots(beside: snapshotFile) }
        if firstSync, let snapshotFile, try replica.actor().role.canReview, try replica.isEmpty() {
            defer { for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: snapshotFile.path + suffix) } }
            // Whatever goes wrong with the prepared replica (a refusal, a broken connection, a
            // full disk, a file that is no snapshot of this schema), the sync pulls by pages.
            var downloaded = false
            do {
                downloaded = try await api.downloadSnapshot(schema: ClientReplica.schemaVersion, to: snapshotFile)
            } catch let error as ClientError {
                if case .notLoggedIn = error { throw error }
                report.snapshotUnused = error.description
            } catch {
                report.snapshotUnused = "\(error)"
            }
            if downloaded {
                do {
                    if try replica.install(snapshotAt: snapshotFile.path) {
                        cursor = try replica.syncState().cursor
                        report.fromSnapshot = true
                        report.pulledArticles = try replica.counts().articles
                        progress(Progress(phase: .pulling, done: report.pulledArticles, total: nil, elapsed: clock().timeIntervalSince(start)))
                    } else {
                        report.snapshotUnused = "this workspace is no longer empty, or the file is not a replica of this schema"
                    }
                } catch {
                    report.snapshotUnused = "\(error)"
                }
            }
        }
        var requested: [(ArticleID, RevisionID)] = []
        var next: Task<PullPage, any Error>? = nil
        while true {
            let page: PullPage
            if let next {
                page = try await next.value
            } else {
                page = try await api.pull(since: cursor, limit: pullLimit)
            }
            next = nil
            if let known = try replica.syncState().epoch, known != page.epoch {
                // Restored while we were pulling: start over.
                try replica.resetForNewEpoch(now: Timestamp.canonical(clock()))
                report.epochReset = true
                cursor = 0
                continue
            }
            if page.hasMore {
                let api = self.api
                let limit = pullLimit
                let after = page.nextCursor
                next = Task { try await api.pull(since: after, limit: limit) }
            }
            do {
                try replica.apply(page, now: Timestamp.canonical(clock()))
            } catch {
                next?.cancel()
                throw error
            }
            cursor = page.nextCursor
            requested += page.notes.filter { $0.kind == .changesRequested }.compactMap { note in note.revision.map { (note.articleID, $0) } }
            if !firstSync { report.news += try news(in: page, for: me) }
            report.pulledArticles += page.articles.count
            report.pulledPages += 1
            progress(Progress(phase: .pulling, done: report.pulledArticles, total: nil, elapsed: clock().timeIntervalSince(start)))
            if !page.hasMore { break }
        }
        // Articles the snapshot held and pages brought again are one article each.
        if report.fromSnapshot { report.pulledArticles = try replica.counts().articles }
        // The revisions changes were requested on: what `galley diff` reads a new revision against.
        for (article, revision) in requested where try replica.revision(revision) == nil {
            try replica.store(try await api.revision(revision, of: article))
        }
        try replica.setLastSync(Timestamp.canonical(clock()))
        report.openConflicts = try replica.openConflictCount()
        return report
    }

    /// Prepared replicas a sync that was killed left in `.galley` (each process names its own
    /// `snapshot-PID.partial`), not those of a sync still running.
    static func removeLeftoverSnapshots(beside file: URL) {
        let folder = file.deletingLastPathComponent()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] where name.hasPrefix("snapshot-") {
            let pid = name.dropFirst("snapshot-".count).prefix { $0.isNumber }
            if let pid = Int32(pid), pid != getpid(), kill(pid, 0) == 0 || errno == EPERM { continue }
            if folder.appendingPathComponent(name) != file { try? FileManager.default.removeItem(at: folder.appendingPathComponent(name)) }
        }
    }

    /// What others did to `user`'s articles in this page.
    func news(in page: PullPage, for user: String) throws -> [Report.News] {
        var out: [Report.News] = []
        func mine(_ id: ArticleID) throws -> Article? {
            guard let article = try replica.article(id), article.isAuthor(user) else { return nil }
            return article
        }
        let steps: Set<ArticleEvent.Kind> = [.changesRequested, .approved, .scheduled, .published, .retracted, .archived]
        for event in page.events where event.actor != user && steps.contains(event.kind) {
            guard let article = try mine(event.articleID) else { continue }
            // A request for changes or a retraction comes with its message, as a note.
            let message = page.notes.last { $0.articleID == event.articleID && $0.author == event.actor && $0.kind != .comment }?.text
            out.append(.init(article: article.id.short, title: article.content.title, actor: event.actor, what: event.kind.rawValue, text: message))
        }
        for note in page.notes where note.author != user && note.kind == .comment {
            guard let article = try mine(note.articleID) else { continue }
            out.append(.init(article: article.id.short, title: article.content.title, actor: note.author, what: "note", text: note.text))
        }
        return out
    }
}
