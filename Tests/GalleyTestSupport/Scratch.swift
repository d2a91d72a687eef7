import Foundation

/// Where the tests put their files: one folder per test process, removed when the process ends,
/// so that runs do not pile up workspaces and data dirs in the system's temporary folder.
public enum Scratch {
    public static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("galley-tests-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Scratch.root) }
        return url
    }()

    /// A new path under ``root``, named `name-UUID[.ext]`; nothing is created there.
    public static func path(_ name: String, extension ext: String? = nil) -> URL {
        root.appendingPathComponent("\(name)-\(UUID())" + (ext.map { ".\($0)" } ?? ""))
    }
}
