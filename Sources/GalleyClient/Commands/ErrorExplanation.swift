import GalleyStore

/// How a failure reads to the person at the terminal.
package enum ErrorExplanation {
    /// A sentence for errors that are not Galley's own (the replica's storage, mostly), or nil.
    package static func message(for error: any Error) -> String? {
        guard let error = error as? StoreError else { return nil }
        switch error {
        case .unavailable(.diskFull), .unavailable(.readOnly), .unavailable(.ioError):
            let why = error == .unavailable(.diskFull) ? "the disk is full" : "the disk is read-only or failing"
            return "The workspace's replica cannot be written (\(why)); nothing was recorded, and the text you gave is where it was. Free some space or fix the disk, then run the command again."
        case .unavailable(.unreachable):
            return "The archive's database cannot be reached right now; nothing was recorded. Try again in a moment."
        case .unavailable(.busy):
            return "The workspace's replica is busy (another galley command is writing); try again in a moment."
        case .unavailable(.rolledBack):
            return "The workspace's replica rolled the command back; nothing was recorded. Run the command again."
        case .corrupt(let what):
            return "The workspace's replica is damaged (\(what)). Your unsent changes may be recovered with `sqlite3 .galley/replica.sqlite .recover`; or make a new workspace and sync."
        case .failed(let message):
            return "The workspace's replica failed: \(message)."
        }
    }
}
