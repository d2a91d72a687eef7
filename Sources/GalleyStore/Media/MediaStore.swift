import Foundation
import GalleyCore

/// Where uploaded images live, by content address (`<sha256>.<ext>`, see ``ImageKind``). It is
/// part of the archive's seam: a deployment of several servers puts it where they all reach.
package protocol MediaStore: Sendable {
    /// Stores `bytes` under `name` (a name ``ImageKind/mediaName(for:kind:)`` gave them); storing
    /// a name again is a no-op, since the name is the content.
    func store(_ bytes: [UInt8], as name: String) async throws
    /// The bytes stored under `name`, or nil.
    func load(_ name: String) async throws -> Data?
}

/// Images as files in one folder (`<data-dir>/media/`).
package struct FolderMediaStore: MediaStore {
    package let folder: URL

    package init(folder: URL) {
        self.folder = folder
    }

    package func store(_ bytes: [UInt8], as name: String) async throws {
        try check(name)
        let file = folder.appendingPathComponent(name)
        let files = FileManager.default
        do {
            try files.createDirectory(at: folder, withIntermediateDirectories: true)
            guard !files.fileExists(atPath: file.path) else { return }
            // Write beside, then rename: a half-written image never has the final name.
            let temp = folder.appendingPathComponent(".\(name).\(UUID().uuidString)")
            defer { try? files.removeItem(at: temp) }
            try Data(bytes).write(to: temp)
            do {
                try files.moveItem(at: temp, to: file)
            } catch where files.fileExists(atPath: file.path) {
                // Another upload of the same image got there first: the name is the content, so
                // what is stored is these bytes.
                return
            }
        } catch let error as CocoaError where error.code == .fileWriteOutOfSpace {
            throw StoreError.unavailable(.diskFull)
        } catch let error as CocoaError where [.fileWriteNoPermission, .fileWriteVolumeReadOnly].contains(error.code) {
            throw StoreError.unavailable(.readOnly)
        } catch is CocoaError {
            throw StoreError.unavailable(.ioError)
        }
    }

    package func load(_ name: String) async throws -> Data? {
        try check(name)
        return FileManager.default.contents(atPath: folder.appendingPathComponent(name).path)
    }

    /// Only content addresses: no name can reach outside the folder.
    private func check(_ name: String) throws {
        guard ImageKind.isMediaName(name) else { throw GalleyError(.notFound, "There is no such image.") }
    }
}
