import Foundation
import GalleyClient
import GalleyCore
import GalleyStore
import GalleyTestSupport
import Testing

/// A data dir that cannot be written: read-only, or full. Writes get a clear 503 and store
/// nothing partial; reads go on. Needs root to mount a small tmpfs; shows as skipped otherwise.
@Suite(.serialized, .enabled(if: Tmpfs.canMount, "mounting a tmpfs needs root"))
struct DiskTroubleTests {
    /// A tmpfs, or the test fails: the suite runs only where mounting works.
    static func mounted(megabytes: Int) throws -> URL {
        try #require(mount(megabytes: megabytes), "could not mount a tmpfs of \(megabytes) MiB")
    }

    /// A tmpfs of `megabytes` at a fresh folder, or nil when mounting is not possible here.
    static func mount(megabytes: Int) -> URL? {
        let dir = Scratch.path("galley-disk")
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return shell("mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", dir.path) == 0 ? dir : nil
    }

    @discardableResult
    static func shell(_ args: String...) -> Int32 {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        guard (try? p.run()) != nil else { return -1 }
        p.waitUntilExit()
        return p.terminationStatus
    }

    @Test func theServerAnswers503AndStoresNothingWhenItsDiskIsFull() async throws {
        let disk = try Self.mounted(megabytes: 24)
        defer { Self.shell("umount", "-l", disk.path) }
        let server = try ServerProcess.start(dataDir: disk.appendingPathComponent("data"), environment: ["GALLEY_ADMIN_PASSWORD": "disk-password-1"])
        defer { server.stop() }
        var api = ServerAPI(baseURL: "http://127.0.0.1:\(server.port)", token: nil)
        api.token = try await api.login(name: "admin", password: "disk-password-1").token
        let first = Change(articleID: ArticleID.generate(), baseRevision: nil, set: .init(title: "Before the trouble", body: "Kept.\n"), author: "admin", replicaID: UUID(), createdAt: Date())
        #expect(try await api.push([first]).first?.status == .applied)

        // A filler takes the space; a large article does not fit.
        let filler = disk.appendingPathComponent("filler")
        Self.shell("dd", "if=/dev/zero", "of=\(filler.path)", "bs=1M", "count=64")
        let big = Change(articleID: ArticleID.generate(), baseRevision: nil, set: .init(title: "Too big for the disk", body: String(repeating: "words ", count: 150_000)),
                         author: "admin", replicaID: UUID(), createdAt: Date())
        do {
            _ = try await api.push([big])
            Issue.record("a write on a full disk should fail")
        } catch let error as GalleyError {
            #expect(error.code.rawValue == "storage_unavailable", "\(error.message)\n\(server.output)")
        }
        #expect(try await api.article(first.articleID).content.title == "Before the trouble", "reads keep working")
        try FileManager.default.removeItem(at: filler)

        // Afterwards the same push goes through, and nothing half-written is there.
        #expect(try await api.push([big]).first?.status == .applied)
        server.stop()
        let archive = try SQLiteArchive(path: disk.appendingPathComponent("data/archive.sqlite").path)
        #expect(try await archive.integrityCheck() == "ok")
        #expect(try await archive.articles(ArticleQuery(limit: 10)).articles.count == 2)
    }

    /// A mount cannot turn read-only under a server holding files open for writing, so the
    /// read-only case is a server started on a read-only data dir: it refuses, saying why.
    @Test func theServerRefusesToStartOnAReadOnlyDataDirAndSaysWhy() async throws {
        let disk = try Self.mounted(megabytes: 8)
        defer { Self.shell("umount", "-l", disk.path) }
        let data = disk.appendingPathComponent("data")
        let first = try ServerProcess.start(dataDir: data, environment: ["GALLEY_ADMIN_PASSWORD": "disk-password-1"])
        first.stop()
        #expect(Self.shell("mount", "-o", "remount,ro", disk.path) == 0)
        do {
            let second = try ServerProcess.start(dataDir: data)
            second.stop()
            Issue.record("the server should exit, not serve a read-only archive:\n\(second.output)")
        } catch {
            let output = String(describing: error)
            #expect(output.contains("read-only"), "\(output)")
        }
        #expect(Self.shell("mount", "-o", "remount,rw", disk.path) == 0)
    }

    @Test func theClientSaysSoAndKeepsTheTextWhenItsReplicaCannotBeWritten() async throws {
        let disk = try Self.mounted(megabytes: 8)
        defer { Self.shell("umount", "-l", disk.path) }
        let ws = disk.appendingPathComponent("desk")
        _ = try runGalley(["init", ws.path, "--server", "http://127.0.0.1:9"], in: disk)
        let text = Scratch.path("words", extension: "md")
        try Data("My precious words.\n".utf8).write(to: text)
        #expect(Self.shell("mount", "-o", "remount,ro", disk.path) == 0)
        let r = try runGalley(["new", "--title", "Offline words", "--body-file", text.path], in: ws)
        #expect(r.status == 1 && r.stderr.contains("cannot be written"), "\(r)")
        #expect(try String(contentsOf: text, encoding: .utf8) == "My precious words.\n", "the user's text is where it was")
        #expect(Self.shell("mount", "-o", "remount,rw", disk.path) == 0)
        #expect(try ClientReplica(path: ws.appendingPathComponent(".galley/replica.sqlite").path).integrityCheck() == "ok")
    }
}

enum Tmpfs {
    /// Whether this process may mount a tmpfs (tried once, on a scratch folder).
    static let canMount: Bool = {
        guard let disk = DiskTroubleTests.mount(megabytes: 1) else { return false }
        DiskTroubleTests.shell("umount", "-l", disk.path)
        return true
    }()
}
