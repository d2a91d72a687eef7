import Foundation
import GRDB
import GalleyCore

extension SQLiteArchive {
    public func apply(_ changes: [Change], by actor: ChangeApplier.Actor, at time: Date) async throws -> [PushResult] {
        var results: [PushResult] = []
        results.reserveCapacity(changes.count)
        for change in changes {
            // One transaction per change: a failure later in the batch keeps the earlier ones.
            let result = try await writer.write { db in try Self.apply(db, change, by: actor, at: time) }
            results.append(result)
        }
        return results
    }

    static func apply(_ db: Database, _ pushed: Change, by actor: ChangeApplier.Actor, at time: Date) throws -> PushResult {
        if let stored = try String.fetchOne(
            db, sql: "SELECT result FROM applied_changes WHERE change_id = ?", arguments: [pushed.id.description])
        {
            return try ContentRows.decode(PushResult.self, stored)
        }
        var change = pushed
        // The author is whoever holds the token, whatever the change claims.
        change.author = actor.name

        let article = try ContentRows.article(db, id: change.articleID)
        let head = try article.flatMap { try ContentRows.revision(db, id: $0.headRevision) }
        let base = try change.baseRevision.flatMap { try ContentRows.revision(db, id: $0) }
        let open = article == nil ? [] : try ContentRows.conflicts(db, article: change.articleID, openOnly: true)
        let categories = Set(try String.fetchAll(db, sql: "SELECT slug FROM categories"))
        let environment = ChangeApplier.Environment(
            categories: categories,
            slugTaken: { slug, id in
                (try? Bool.fetchOne(
                    db, sql: "SELECT EXISTS (SELECT 1 FROM articles WHERE slug = ? AND deleted = 0 AND id != ?)",
                    arguments: [slug, id.description])) ?? true
            },
            userExists: { name in (try? Self.user(db, named: name)) != nil },
            now: time)
        let outcome = ChangeApplier.apply(
            change, actor: actor, state: .init(article: article, base: base, head: head, openConflicts: open),
            environment: environment)

        guard outcome.status != .rejected, let updated = outcome.article else {
            let error = outcome.error ?? GalleyError(.malformed, "The change was not applied.")
            if let command = change.command {
                // Refused workflow steps are part of the record: who tried what.
                try audit(db, actor: actor.name, action: "rejected_\(command.name)", article: change.articleID,
                          revision: article?.headRevision, detail: error.message, at: time)
            }
            return try record(db, change, actor: actor, at: time, result: PushResult(
                changeID: change.id, status: .rejected, headRevision: nil, conflicts: [],
                error: .init(code: error.code.rawValue, message: error.message)))
        }

        var seq: Int64 = 0
        func event(_ kind: String, _ revision: RevisionID?) throws {
            seq = try Self.event(db, kind: kind, article: change.articleID, revision: revision, actor: actor.name, at: time)
        }
        for revision in outcome.newRevisions { try ContentRows.insert(db, revision) }
        if updated.headRevision != article?.headRevision { try event(article == nil ? "create" : "revision", updated.headRevision) }
        if let article, updated.state != article.state { try event("state:\(updated.state.rawValue)", updated.headRevision) }
        if updated.deleted != (article?.deleted ?? false) { try event(updated.deleted ? "delete" : "undelete", updated.headRevision) }
        if updated.authors != article?.authors || updated.related != article?.related { try event("metadata", updated.headRevision) }
        if !outcome.newConflicts.isEmpty || !outcome.resolvedConflicts.isEmpty { try event("conflicts", updated.headRevision) }
        if outcome.note != nil { try event("note", updated.headRevision) }
        if seq == 0 { try event("noop", updated.headRevision) }

        for conflict in outcome.newConflicts { try ContentRows.save(db, conflict, seq: seq) }
        for id in outcome.resolvedConflicts {
            try db.execute(
                sql: "UPDATE conflicts SET resolved_by = ?, resolved_at = ?, seq = ? WHERE id = ? AND resolved_by IS NULL",
                arguments: [change.id.description, Timestamp.milliseconds(time), seq, id.description])
        }
        if let note = outcome.note { try ContentRows.insert(db, note, seq: seq) }
        try ContentRows.save(db, updated, seq: seq)

        if let command = outcome.command {
            try audit(db, actor: actor.name, action: command.name, article: updated.id, revision: updated.headRevision,
                      detail: Self.auditDetail(command), at: time)
        }
        if let article, article.approvedRevision != nil, updated.approvedRevision == nil, outcome.command == nil {
            try audit(db, actor: actor.name, action: "approval_voided", article: updated.id, revision: updated.headRevision,
                      detail: "change \(change.id) edited approved revision \(article.approvedRevision!.short)", at: time)
        }
        if updated.deleted && !(article?.deleted ?? false) {
            try audit(db, actor: actor.name, action: "delete", article: updated.id, revision: updated.headRevision, at: time)
        }
        return try record(db, change, actor: actor, at: time, result: PushResult(
            changeID: change.id, status: outcome.status, headRevision: updated.headRevision,
            conflicts: outcome.newConflicts.map(\.id), error: nil))
    }

    private static func auditDetail(_ command: WorkflowCommand) -> String? {
        switch command {
        case .approve(let revision): "approved revision \(revision.short)"
        case .requestChanges(let message), .retract(let message): message
        case .publish(let at): at.map { "scheduled for \(Timestamp.format($0))" }
        case .submit, .archive, .reopen: nil
        }
    }

    private static func record(_ db: Database, _ change: Change, actor: ChangeApplier.Actor, at time: Date, result: PushResult) throws -> PushResult {
        try db.execute(
            sql: "INSERT INTO applied_changes (change_id, article_id, user_name, status, result, applied_at) VALUES (?, ?, ?, ?, ?, ?)",
            arguments: [
                change.id.description, change.articleID.description, actor.name, result.status.rawValue,
                ContentRows.json(result), Timestamp.milliseconds(time),
            ])
        return result
    }

    public func pull(since cursor: Int64, limit: Int, maxBytes: Int, viewer: ChangeApplier.Actor) async throws -> PullPage {
        try await writer.read { db in
            let visible = Self.visibility(viewer)
            var arguments: StatementArguments = [cursor]
            arguments += visible.arguments
            arguments += [limit + 1]
            let rows = try Row.fetchAll(
                db,
                sql: "SELECT \(ContentRows.articleColumns) FROM articles a WHERE a.seq > ? AND \(visible.sql) ORDER BY a.seq LIMIT ?",
                arguments: arguments)
            var pulled: [PulledArticle] = []
            var bytes = 0
            var next = cursor
            for row in rows.prefix(limit) {
                let full = try ContentRows.article(row)
                let seq: Int64 = row["seq"]
                let article = try Self.project(db, full, for: viewer)
                let isFull = article == full
                guard let head = try ContentRows.revision(db, id: article.headRevision) else {
                    throw StoreError.corrupt("the head revision of article \(article.id.short) is missing")
                }
                let published = try article.publishedRevision.flatMap { id in
                    id == article.headRevision ? nil : try ContentRows.revision(db, id: id)
                }
                let notes = isFull
                    ? try Row.fetchAll(
                        db, sql: "SELECT * FROM notes WHERE article_id = ? AND seq > ? ORDER BY created_at, id",
                        arguments: [article.id.description, cursor]
                    ).map(ContentRows.note) : []
                let conflicts = isFull
                    ? try Row.fetchAll(
                        db, sql: "SELECT * FROM conflicts WHERE article_id = ? AND seq > ? ORDER BY created_at, id",
                        arguments: [article.id.description, cursor]
                    ).map(ContentRows.conflict) : []
                let size = Self.approximateSize(head) + (published.map(Self.approximateSize) ?? 0)
                    + conflicts.reduce(0) { $0 + $1.base.utf8.count + $1.ours.utf8.count + $1.theirs.utf8.count }
                if !pulled.isEmpty && bytes + size > maxBytes { break }
                bytes += size
                pulled.append(PulledArticle(article: article, head: head, published: published, notes: notes, conflicts: conflicts, seq: seq))
                next = seq
            }
            let hasMore = pulled.count < rows.count
            return PullPage(epoch: try Self.epoch(db), articles: pulled, nextCursor: next, hasMore: hasMore)
        }
    }

    private static func approximateSize(_ r: Revision) -> Int {
        r.content.body.utf8.count + r.content.lead.utf8.count + r.content.title.utf8.count + 512
    }
}
