import Foundation
import GRDB
import GalleyCore

/// Pushes that arrive while the archive is writing wait, and are then applied together in one
/// transaction: concurrent pushes share a commit (and the full-text index one new segment)
/// instead of paying for one each. A push is still all or nothing, and one that fails leaves
/// the others alone: then the batch is applied again with a savepoint per push.
actor GroupCommit {
    private let writer: Storage
    private var pending: [Item] = []
    private var draining = false

    struct Item {
        let changes: [Change]
        let actor: ChangeApplier.Actor
        let time: Date
        let continuation: CheckedContinuation<[PushResult], any Error>
    }

    init(writer: Storage) {
        self.writer = writer
    }

    /// Applies one push's changes, in order; returns their results once committed.
    func apply(_ changes: [Change], by actor: ChangeApplier.Actor, at time: Date) async throws -> [PushResult] {
        try await withCheckedThrowingContinuation { continuation in
            pending.append(Item(changes: changes, actor: actor, time: time, continuation: continuation))
            if !draining {
                draining = true
                Task { await drain() }
            }
        }
    }

    private func drain() async {
        while !pending.isEmpty {
            let batch = pending
            pending.removeAll()
            do {
                let outcomes = try await applyTogether(batch)
                for (item, outcome) in zip(batch, outcomes) { item.continuation.resume(with: outcome.mapError(StoreError.from)) }
            } catch {
                // The commit itself failed: nothing of the batch is stored.
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
        draining = false
    }

    /// The whole batch in one transaction without savepoints: FTS5 writes its pending terms out
    /// as a new index segment at every savepoint, which was a fifth of the writer's time under
    /// push load. Should any change throw (a rejected change does not; a storage error does),
    /// the transaction is rolled back and the batch applied again change by change.
    private func applyTogether(_ batch: [Item]) async throws -> [Result<[PushResult], any Error>] {
        do {
            let results = try await writer.write { db in
                let search = ContentRows.SearchJournal()
                let results = try batch.map { item in
                    try item.changes.map { try SQLiteArchive.apply(db, $0, by: item.actor, at: item.time, search: search) }
                }
                try search.flush(db)
                return results
            }
            return results.map { .success($0) }
        } catch {
            return try await applyOneByOne(batch)
        }
    }

    /// Each change in its own savepoint: one that fails leaves the others alone.
    private func applyOneByOne(_ batch: [Item]) async throws -> [Result<[PushResult], any Error>] {
        try await writer.write { db -> [Result<[PushResult], any Error>] in
            let search = ContentRows.SearchJournal()
            // A savepoint per push: one whose change throws stores none of its changes, as its
            // answer (an error) says.
            let outcomes = batch.map { item in
                Result {
                    var results: [PushResult] = []
                    let mark = search.mark
                    do {
                        try db.inSavepoint {
                            results = try item.changes.map { try SQLiteArchive.apply(db, $0, by: item.actor, at: item.time, search: search) }
                            return .commit
                        }
                    } catch {
                        search.restore(mark)
                        throw error
                    }
                    return results
                }
            }
            // Some failures (a full disk) make SQLite roll the whole transaction back:
            // then nothing of the batch is stored, and every push must hear so, with the
            // cause (SQLITE_FULL says more than "rolled back").
            if !db.isInsideTransaction {
                for case .failure(let cause as DatabaseError) in outcomes { throw cause }
                throw DatabaseError(resultCode: .SQLITE_ABORT, message: "the transaction was rolled back")
            }
            try search.flush(db)
            return outcomes
        }
    }
}
