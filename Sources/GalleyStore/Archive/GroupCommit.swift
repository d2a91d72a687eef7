import Foundation
import GRDB
import GalleyCore

/// Pushes that arrive while the archive is writing wait, and are then applied together in one
/// transaction, each change inside its own savepoint: a change is still all or nothing, and
/// one that fails leaves the others alone, but concurrent pushes share a commit (and the
/// full-text index one new segment) instead of paying for one each.
actor GroupCommit {
    private let writer: any DatabaseWriter
    private var pending: [Item] = []
    private var draining = false

    struct Item {
        let changes: [Change]
        let actor: ChangeApplier.Actor
        let time: Date
        let continuation: CheckedContinuation<[PushResult], any Error>
    }

    init(writer: any DatabaseWriter) {
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
                let outcomes = try await writer.write { db -> [Result<[PushResult], any Error>] in
                    let outcomes = batch.map { item in
                        Result {
                            var results: [PushResult] = []
                            for change in item.changes {
                                var result: PushResult?
                                try db.inSavepoint {
                                    result = try SQLiteArchive.apply(db, change, by: item.actor, at: item.time)
                                    return .commit
                                }
                                if let result { results.append(result) }
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
                    return outcomes
                }
                for (item, outcome) in zip(batch, outcomes) { item.continuation.resume(with: outcome) }
            } catch {
                // The commit itself failed: nothing of the batch is stored.
                for item in batch { item.continuation.resume(throwing: error) }
            }
        }
        draining = false
    }
}
