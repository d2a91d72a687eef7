import Foundation
import GRDB
import GalleyCore

/// How a failure reads to the person at the terminal.
public enum ErrorExplanation {
    /// A sentence for errors that are not Galley's own (the replica's storage, mostly), or nil.
    public static func message(for error: any Error) -> String? {
        guard let error = error as? DatabaseError else { return nil }
        switch error.resultCode {
        case .SQLITE_READONLY, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CANTOPEN, .SQLITE_PERM:
            let why = error.resultCode == .SQLITE_FULL ? "the disk is full" : "the disk is read-only or failing"
            return "The workspace's replica cannot be written (\(why)); nothing was recorded, and the text you gave is where it was. Free some space or fix the disk, then run the command again."
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return "The workspace's replica is busy (another galley command is writing); try again in a moment."
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return "The workspace's replica is damaged (\(error.message ?? "")). Your unsent changes may be recovered with `sqlite3 .galley/replica.sqlite .recover`; or make a new workspace and sync."
        default:
            return "The workspace's replica failed: \(error.message ?? "\(error.resultCode)")."
        }
    }
}
