import Foundation
import GalleyCore

/// `galley merge-file`: the engine's text merge on three files, with `git merge-file`'s argument
/// order, output and exit status, so that scripts and tools written for git work with it.
package enum MergeFile {
    package struct Outcome: Sendable {
        /// The merged text, with conflict markers where the sides could not be merged.
        package var merged: [UInt8]
        /// The exit status: the number of conflicts, at most 127.
        package var status: Int32
    }

    /// Merges `theirs` into `ours` with `base` as the common ancestor.
    ///
    /// - Parameters:
    ///   - labels: up to three labels for ours, base and theirs (git's `-L`); the file names otherwise.
    ///   - toStandardOutput: return the result only (`-p`); otherwise it is also written to `ours`.
    ///   - prose: merge as the sync engine merges an article's text: where lines conflict, try
    ///     again paragraph by paragraph and word by word (``TextMerge``). Without it the result is
    ///     `git merge-file`'s, byte for byte.
    ///   - favor: settle conflicts for one side or both instead of marking them (git's `--ours`,
    ///     `--theirs`, `--union`).
    package static func run(
        ours: String, base: String, theirs: String, labels: [String] = [], toStandardOutput: Bool, prose: Bool = false,
        favor: TextMerge.Favor? = nil
    ) throws -> Outcome {
        func read(_ path: String) throws -> [UInt8] {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
                throw GalleyError(.notFound, "Cannot read \(path): no such file.")
            }
            guard !isFolder.boolValue else { throw GalleyError(.malformed, "Cannot read \(path): it is a folder, not a file.") }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw GalleyError(.notAllowed, "Cannot read \(path): permission denied.")
            }
            let bytes = [UInt8](data)
            if bytes.prefix(8000).contains(0) {
                throw GalleyError(.malformed, "Cannot merge binary files: \(path)")
            }
            return bytes
        }
        let o = try read(ours)
        let b = try read(base)
        let t = try read(theirs)
        let result = TextMerge.merge(
            base: b, ours: o, theirs: t,
            options: .init(wordLevel: prose, oursLabel: labels.count > 0 ? labels[0] : ours, theirsLabel: labels.count > 2 ? labels[2] : theirs, favor: favor))
        if !toStandardOutput {
            do {
                try Data(result.marked).write(to: URL(fileURLWithPath: ours))
            } catch {
                let reason = FileManager.default.isWritableFile(atPath: ours) ? "\(error.localizedDescription)" : "permission denied"
                throw GalleyError(.malformed, "Could not write the result to \(ours): \(reason). Use -p to print it instead.")
            }
        }
        return Outcome(merged: result.marked, status: Int32(min(result.conflictCount, 127)))
    }
}
