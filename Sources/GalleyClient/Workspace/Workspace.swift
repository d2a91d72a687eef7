import Foundation
import GalleyCore
import GalleyStore

/// A folder an analyst works in: `.galley/replica.sqlite` (the local archive), `.galley/config.json`
/// (the server's address), `.galley/token` (the login, readable by its owner only) and
/// `.galley/rescue/` (text that could not be saved as a change is kept here).
package struct Workspace: Sendable {
    package let root: URL

    package var galleyDir: URL { root.appendingPathComponent(".galley") }
    package var replicaPath: String { galleyDir.appendingPathComponent("replica.sqlite").path }
    var configURL: URL { galleyDir.appendingPathComponent("config.json") }
    var tokenURL: URL { galleyDir.appendingPathComponent("token") }
    package var rescueDir: URL { galleyDir.appendingPathComponent("rescue") }
    /// Images attached here, by content address, kept for upload and for `galley site build`.
    package var mediaDir: URL { galleyDir.appendingPathComponent("media") }

    struct Config: Codable {
        var server: String
    }

    /// The workspace named by `explicit` (`--workspace`), else `GALLEY_WORKSPACE`, else the
    /// nearest folder upwards from `directory` that has a `.galley`.
    package static func find(from directory: URL, explicit: String? = nil, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Workspace {
        if let path = explicit ?? environment["GALLEY_WORKSPACE"].flatMap({ $0.isEmpty ? nil : $0 }) {
            let ws = Workspace(root: URL(fileURLWithPath: path, relativeTo: directory).standardizedFileURL)
            guard FileManager.default.fileExists(atPath: ws.replicaPath) else {
                throw ClientError.noWorkspace("\(ws.root.path) is not a Galley workspace; create one with `galley init \(path) --server URL`.")
            }
            return ws
        }
        var dir = directory.standardizedFileURL
        while true {
            let ws = Workspace(root: dir)
            if FileManager.default.fileExists(atPath: ws.replicaPath) { return ws }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        throw ClientError.noWorkspace("Not in a Galley workspace (no .galley folder here or above). Create one with `galley init --server URL`, or pass --workspace DIR.")
    }

    /// Creates a workspace in `directory` that syncs with `server`.
    package static func create(at directory: URL, server: String) throws -> Workspace {
        guard let url = URL(string: server), let scheme = url.scheme, ["http", "https"].contains(scheme.lowercased()), url.host != nil else {
            throw ClientError.usage("'\(server)' is not a server address; give one like https://galley.example.org or http://127.0.0.1:8080.")
        }
        let ws = Workspace(root: directory.standardizedFileURL)
        if FileManager.default.fileExists(atPath: ws.replicaPath) {
            throw GalleyError(.alreadyExists, "\(ws.root.path) is already a Galley workspace.")
        }
        try FileManager.default.createDirectory(at: ws.galleyDir, withIntermediateDirectories: true)
        try ws.writeConfig(Config(server: server))
        _ = try ClientReplica(path: ws.replicaPath)
        return ws
    }

    package func openReplica() throws -> ClientReplica { try ClientReplica(path: replicaPath) }

    package func serverURL() throws -> String {
        guard let data = FileManager.default.contents(atPath: configURL.path),
            let config = try? JSONDecoder().decode(Config.self, from: data)
        else { throw ClientError.noWorkspace("\(configURL.path) is missing or damaged; run `galley init --server URL` again in \(root.path).") }
        return config.server
    }

    func writeConfig(_ config: Config) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(config).write(to: configURL, options: .atomic)
    }

    package func setServerURL(_ server: String) throws { try writeConfig(Config(server: server)) }

    package func token() -> String? {
        guard let data = FileManager.default.contents(atPath: tokenURL.path) else { return nil }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }

    /// Stores the token readable by its owner only (mode 0600), created so from the start.
    package func saveToken(_ token: String) throws {
        let temp = galleyDir.appendingPathComponent("token.tmp-\(getpid())").path
        let fd = open(temp, O_CREAT | O_WRONLY | O_TRUNC, 0o600)
        guard fd >= 0 else { throw GalleyError(.malformed, "Cannot write \(temp): \(String(cString: strerror(errno))).") }
        let bytes = Array((token + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        fsync(fd)
        close(fd)
        guard written == bytes.count, rename(temp, tokenURL.path) == 0 else {
            unlink(temp)
            throw GalleyError(.malformed, "Cannot save the login in \(tokenURL.path).")
        }
        chmod(tokenURL.path, 0o600)
    }

    package func deleteToken() { try? FileManager.default.removeItem(at: tokenURL) }

    /// Keeps text that could not become a change, and returns where.
    package func rescue(_ text: String, name: String) throws -> URL {
        try FileManager.default.createDirectory(at: rescueDir, withIntermediateDirectories: true)
        let stamp = Timestamp.format(Date()).replacingOccurrences(of: ":", with: "")
        let url = rescueDir.appendingPathComponent("\(name)-\(stamp).md")
        try Data(text.utf8).write(to: url, options: .atomic)
        return url
    }
}
