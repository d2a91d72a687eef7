import Foundation
import GalleyClient
import GalleyCore
import GalleyStore
import GalleyTestSupport
import Testing

/// The built `galley` binary, run as a person would, against the built `galley-server`.
@Suite(.serialized) struct CLITests {
    static func temp(_ name: String) -> URL {
        let url = Scratch.path("\(name)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A server with the admin password known.
    static func server() throws -> ServerProcess {
        try ServerProcess.start(environment: ["GALLEY_ADMIN_PASSWORD": "admin-password-1"])
    }

    @Test func aScriptedSession() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let dir = Self.temp("cli")
        let ws = dir.appendingPathComponent("desk")

        var r = try runGalley(["init", ws.path, "--server", "http://127.0.0.1:\(server.port)"], in: dir)
        #expect(r.status == 0, "\(r)")
        r = try runGalley(["login", "--user", "admin", "--password-stdin"], in: ws, stdin: "admin-password-1\n")
        #expect(r.status == 0 && r.stdout.contains("Logged in"), "\(r)")
        let tokenMode = try FileManager.default.attributesOfItem(atPath: ws.appendingPathComponent(".galley/token").path)[.posixPermissions] as? Int
        #expect(tokenMode == 0o600, "the token file is readable by its owner only")

        try Data("First paragraph.\n\nSecond paragraph.\n".utf8).write(to: dir.appendingPathComponent("body.md"))
        r = try runGalley(["new", "--title", "Minsk hopes to boost cooperation with Beijing", "--lead", "Minsk aspires.", "--tag", "china", "--body-file", dir.appendingPathComponent("body.md").path], in: ws)
        #expect(r.status == 0, "\(r)")
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(id.count == 8 && id.allSatisfy(\.isHexDigit), "new prints the short id: \(r)")

        // The editor is a script: it rewrites the lead and adds a paragraph.
        let editor = dir.appendingPathComponent("editor.sh")
        try Data("#!/bin/sh\nsed -i 's/^lead: .*/lead: Minsk aspires to replace the Kremlin./' \"$1\"\nprintf 'Third paragraph.\\n' >> \"$1\"\n".utf8).write(to: editor)
        chmod(editor.path, 0o755)
        r = try runGalley(["edit", String(id.prefix(5))], in: ws, environment: ["EDITOR": editor.path])
        #expect(r.status == 0 && r.stdout.contains("Saved"), "\(r)")

        r = try runGalley(["tag", id, "belarus", "foreign-policy"], in: ws)
        #expect(r.status == 0, "\(r)")
        r = try runGalley(["status", "--json"], in: ws)
        let status = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect(status?["outbox"] as? Int == 3, "\(r)")
        #expect(status?["conflicts"] as? Int == 0 && status?["server"] as? String != nil && status?.keys.contains("lastSync") == true)

        r = try runGalley(["sync"], in: ws)
        #expect(r.status == 0 && r.stdout.contains("pushed 3"), "\(r)")

        r = try runGalley(["show", id, "--json"], in: ws)
        #expect(r.status == 0, "\(r)")
        let shown = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for key in ["id", "slug", "title", "lead", "body", "category", "tags", "authors", "state", "headRevision", "publishedRevision", "conflicts"] {
            #expect(shown.keys.contains(key), "show --json lacks \(key)")
        }
        #expect(shown["lead"] as? String == "Minsk aspires to replace the Kremlin.")
        #expect((shown["body"] as? String)?.contains("Third paragraph.") == true)
        #expect(shown["tags"] as? [String] == ["belarus", "china", "foreign-policy"])
        #expect(shown["state"] as? String == "draft")
        #expect(shown["slug"] as? String == "minsk-hopes-to-boost-cooperation-with-beijing")

        // What the server holds is what the workspace shows.
        r = try runGalley(["list", "--json"], in: ws)
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        #expect(listed.count == 1 && listed[0]["body"] == nil, "list --json has no body")
        r = try runGalley(["search", "kremlin", "--json"], in: ws)
        #expect(r.stdout.contains(id), "offline search finds the lead: \(r)")
    }

    /// An analyst sees a draft as readers will, offline, before submitting it.
    @Test func aDraftPreviewsAsItWouldBePublishedOffline() async throws {
        let dir = Self.temp("preview")
        let ws = dir.appendingPathComponent("desk")
        // No server: the preview needs none.
        var r = try runGalley(["init", ws.path, "--server", "http://127.0.0.1:9"], in: dir)
        #expect(r.status == 0, "\(r)")
        try Data("## Key findings\n\n| Region | Share |\n|:--|--:|\n| Гомель | 12% |\n\nCO<sub>2</sub> fell.[^1] <script>x</script>\n\n[^1]: Belstat.\n".utf8)
            .write(to: dir.appendingPathComponent("body.md"))
        r = try runGalley(["new", "--title", "Мінск: папярэдні прагляд", "--body-file", dir.appendingPathComponent("body.md").path], in: ws)
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(r.status == 0, "\(r)")
        r = try runGalley(["site", "preview", id, dir.appendingPathComponent("out").path], in: ws)
        #expect(r.status == 0 && r.stdout.contains("Open "), "\(r)")
        let path = try #require(r.stdout.components(separatedBy: "Open ").last?.components(separatedBy: " in a browser").first)
        let page = try String(contentsOfFile: path, encoding: .utf8)
        #expect(page.contains("<h2 id=\"key-findings\">Key findings</h2>"))
        #expect(page.contains("<td style=\"text-align: left\">Гомель</td>"))
        #expect(page.contains("CO<sub>2</sub> fell."))
        #expect(page.contains("&lt;script&gt;x&lt;/script&gt;"))
        #expect(page.contains("data-footnotes"))
        #expect(page.contains("href=\"../../style.css\""), "the preview opens from disk with its styles")
        r = try runGalley(["site", "preview", "nosuch", dir.appendingPathComponent("out2").path], in: ws)
        #expect(r.status != 0 && !r.stderr.isEmpty, "\(r)")
    }

    @Test func badInputGetsAClearMessageAndANonZeroExit() async throws {
        let server = try Self.server()
        let dir = Self.temp("cli-bad")
        let ws = dir.appendingPathComponent("desk")

        var r = try runGalley(["list"], in: dir)
        #expect(r.status == 1 && r.stderr.contains("Not in a Galley workspace"), "missing workspace: \(r)")

        _ = try runGalley(["init", ws.path, "--server", "http://127.0.0.1:\(server.port)"], in: dir)
        r = try runGalley(["login", "--user", "admin", "--password-stdin"], in: ws, stdin: "wrong password\n")
        #expect(r.status == 4 && r.stderr.contains("Wrong user name or password"), "wrong password: \(r)")
        _ = try runGalley(["login", "--user", "admin", "--password-stdin"], in: ws, stdin: "admin-password-1\n")

        r = try runGalley(["show", "feedbeef"], in: ws)
        #expect(r.status == 1 && r.stderr.contains("No article 'feedbeef'"), "unknown id: \(r)")

        // Two articles whose short ids share a prefix: the prefix is ambiguous, and the message lists both.
        let replica = try ClientReplica(path: ws.appendingPathComponent(".galley/replica.sqlite").path)
        var ids: [ArticleID] = []
        var rng = SystemRandomNumberGenerator()
        while ids.count < 2 {
            let id = ArticleID.generate(at: Date(), using: &rng)
            if ids.isEmpty || id.short.prefix(4) == ids[0].short.prefix(4) { ids.append(id) }
        }
        for (n, id) in ids.enumerated() {
            try replica.record(Change(articleID: id, baseRevision: nil, set: .init(title: "Twin \(n)"), author: "admin", replicaID: UUID(), createdAt: Date()), now: Date())
        }
        r = try runGalley(["show", String(ids[0].short.prefix(4))], in: ws)
        #expect(r.status == 1 && r.stderr.contains(ids[0].short) && r.stderr.contains(ids[1].short), "ambiguous prefix: \(r)")

        // Invalid front matter from the editor: refused, and the text kept in .galley/rescue.
        let editor = dir.appendingPathComponent("bad-editor.sh")
        try Data("#!/bin/sh\nprintf -- '---\\ntitle: [unclosed\\n---\\nMy precious words.\\n' > \"$1\"\n".utf8).write(to: editor)
        chmod(editor.path, 0o755)
        r = try runGalley(["edit", ids[1].short], in: ws, environment: ["EDITOR": editor.path])
        #expect(r.status == 1 && r.stderr.contains("front matter"), "invalid front matter: \(r)")
        let rescued = try FileManager.default.contentsOfDirectory(atPath: ws.appendingPathComponent(".galley/rescue").path)
        let kept = try rescued.map { try String(contentsOf: ws.appendingPathComponent(".galley/rescue/\($0)"), encoding: .utf8) }
        #expect(kept.contains { $0.contains("My precious words.") }, "the text is never lost")

        r = try runGalley(["new", "--title", String(repeating: "x", count: 301)], in: ws)
        #expect(r.status == 1 && r.stderr.contains("300"), "title too long: \(r)")
        r = try runGalley(["new"], in: ws)
        #expect(r.status == 2, "usage error: \(r)")
        // No terminal to ask on: one line that says what to do, not the root command's usage.
        r = try runGalley(["login", "--user", "anna"], in: ws)
        #expect(r.status == 2 && r.stderr == "Error: No terminal to ask for the password; use --password-stdin.\n", "login without a terminal: \(r)")

        // The server is down: one line, exit 4, the outbox intact, and said at once: a refused
        // connection is not retried for the whole connect timeout (30 s here).
        server.stop()
        let before = try replica.pendingChanges().count
        let started = Date()
        r = try runGalley(["sync"], in: ws, environment: ["GALLEY_CONNECT_TIMEOUT": "30"])
        #expect(Date().timeIntervalSince(started) < 15, "a refused connection was tried again for the connect timeout")
        #expect(r.status == 4 && r.stderr.contains("Cannot reach the server"), "server down: \(r)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(try replica.pendingChanges().count == before)
        // Everything else still works offline.
        r = try runGalley(["list"], in: ws)
        #expect(r.status == 0 && r.stdout.contains("Twin 0"))
    }

    /// Offline, as people type things: a body from a pipe (bash's `<(command)` is a /dev/fd
    /// pipe with no size), a folder or bytes that are not UTF-8 where a file is asked for, a
    /// search for an emoji, and a deleted article that is still shown by its id.
    @Test func unusualInputsAreReadOrRefusedPlainly() throws {
        let dir = Self.temp("cli-unusual")
        let ws = dir.appendingPathComponent("desk")
        _ = try runGalley(["init", ws.path, "--server", "http://127.0.0.1:9"], in: dir)

        let fifo = dir.appendingPathComponent("body.fifo").path
        unlink(fifo)
        #expect(mkfifo(fifo, 0o600) == 0)
        let text = "Тэкст з трубы: cafe\u{301} 📰.\n\nДругі абзац.\n"
        let writer = Thread {
            let handle = FileHandle(forWritingAtPath: fifo)
            handle?.write(Data(text.utf8))
            try? handle?.close()
        }
        writer.start()
        var r = try runGalley(["new", "--title", "Piped", "--body-file", fifo], in: ws)
        #expect(r.status == 0, "a body from a pipe: \(r)")
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        r = try runGalley(["show", id, "--json"], in: ws)
        #expect(r.stdout.contains("Тэкст з трубы: café 📰."), "\(r)")

        // An open conflict on it shows in a listing as in `show`.
        let replica = try ClientReplica(path: ws.appendingPathComponent(".galley/replica.sqlite").path)
        let piped = try replica.find(id)
        let conflict = Conflict(
            id: ConflictID(change: ChangeID(), field: .body), articleID: piped.id, field: .body, base: "b", ours: "o", theirs: "t",
            changeIDs: [], author: "erik", revision: piped.headRevision, createdAt: Date())
        try replica.apply(PullPage(epoch: "e", articles: [], conflicts: [conflict], notes: [], nextCursor: 1, hasMore: false), now: Date())
        r = try runGalley(["list"], in: ws)
        #expect(r.stdout.contains("Piped") && r.stdout.contains("1 conflict"), "\(r)")
        r = try runGalley(["search", "трубы"], in: ws)
        #expect(r.stdout.contains("Piped") && r.stdout.contains("1 conflict"), "\(r)")

        r = try runGalley(["new", "--title", "Folder", "--body-file", dir.path], in: ws)
        #expect(r.status == 1 && r.stderr.contains("is a folder"), "\(r)")
        let latin1 = dir.appendingPathComponent("latin1.md")
        try Data([0x43, 0x61, 0x66, 0xE9, 0x0A]).write(to: latin1)
        r = try runGalley(["new", "--title", "Latin-1", "--body-file", latin1.path], in: ws)
        #expect(r.status == 1 && r.stderr.contains("not UTF-8"), "\(r)")
        r = try runGalley(["new", "--title", "Missing", "--body-file", dir.appendingPathComponent("nope.md").path], in: ws)
        #expect(r.status == 1 && r.stderr.contains("no such file"), "\(r)")

        r = try runGalley(["new", "--title", "Endless", "--body-file", "/dev/zero"], in: ws)
        #expect(r.status == 1 && r.stderr.contains("16 MiB"), "an endless file is refused, not read until memory runs out: \(r)")

        r = try runGalley(["search", "📰"], in: ws)
        #expect(r.status == 1 && r.stderr.contains("no letters or digits") && !r.stderr.contains("empty"), "\(r)")

        r = try runGalley(["delete", id], in: ws)
        #expect(r.status == 0, "\(r)")
        r = try runGalley(["show", id], in: ws)
        #expect(r.status == 0 && r.stdout.contains("deleted (was draft)"), "a deleted article says so: \(r)")
        r = try runGalley(["list"], in: ws)
        #expect(!r.stdout.contains("Piped"), "\(r)")
    }

    /// A command that only reads writes nothing: not a byte of the replica changes, its
    /// modification time stays, and no fsync is paid (a pool of connections used to write a
    /// transaction at every open, to recreate the WAL file SQLite removes at each close).
    @Test func commandsThatOnlyReadLeaveTheReplicaAsItWas() throws {
        let dir = Self.temp("cli-read-only")
        let ws = dir.appendingPathComponent("desk")
        _ = try runGalley(["init", ws.path, "--server", "http://127.0.0.1:9"], in: dir)
        let body = dir.appendingPathComponent("body.md")
        try Data("Слова пра калій.\n".utf8).write(to: body)
        var r = try runGalley(["new", "--title", "Кароткі тэкст", "--body-file", body.path, "--tag", "эканоміка"], in: ws)
        #expect(r.status == 0, "\(r)")
        let id = r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let file = ws.appendingPathComponent(".galley/replica.sqlite")
        func state() throws -> (Data, Date?) {
            (try Data(contentsOf: file), try FileManager.default.attributesOfItem(atPath: file.path)[.modificationDate] as? Date)
        }
        let before = try state()
        for command in [["list"], ["status"], ["show", id], ["search", "калій"], ["log", id], ["conflicts"], ["list", "--json"]] {
            r = try runGalley(command, in: ws)
            #expect(r.status == 0, "\(command): \(r)")
            let after = try state()
            #expect(after.0 == before.0 && after.1 == before.1, "galley \(command.joined(separator: " ")) wrote the replica")
        }
        #expect(!FileManager.default.fileExists(atPath: file.path + "-wal"), "the last command left a WAL file")

        // Many changes waiting: `status` describes a screenful, the oldest first, and says how
        // many more there are; `--json` has them all.
        for n in 1...24 {
            r = try runGalley(["new", "--title", "Чарнавік \(n)"], in: ws)
            #expect(r.status == 0, "\(r)")
        }
        r = try runGalley(["status"], in: ws)
        let described = r.stdout.split(separator: "\n").filter { $0.contains("create") }
        #expect(r.stdout.contains("Outbox:    25 changes not yet sent") && described.count == 20, "\(r)")
        #expect(described.first?.contains("Кароткі тэкст") == true && r.stdout.contains("… and 5 more"), "\(r)")
        r = try runGalley(["status", "--json"], in: ws)
        let json = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any]
        #expect((json?["pending"] as? [Any])?.count == 25, "\(r)")

        // An ambiguous start of a slug says how many it begins, not how many are listed.
        r = try runGalley(["show", "чарнавік"], in: ws)
        #expect(r.status == 1 && r.stderr.contains("begins 24 (the first 20 below) slugs"), "\(r)")
        // The next page of a search for a word that looks like an option is a command that runs.
        r = try runGalley(["search", "--limit", "2", "--", "-чарнавік"], in: ws)
        let hint = try #require(r.stdout.firstMatch(of: /More: (galley search .*) \(or --all\)/)?.1, "\(r)")
        #expect(hint == "galley search --offset 2 -- -чарнавік", "\(r)")
        r = try runGalley(hint.split(separator: " ").dropFirst().map(String.init), in: ws)
        #expect(r.status == 0 && r.stdout.contains("Showing 3–24 of 24"), "\(r)")

        // `delete` of a published article says to retract or archive it: both are commands.
        r = try runGalley(["archive", id], in: ws)
        #expect(r.status == 0 && r.stdout.contains("is now 'archived'"), "\(r)")
        r = try runGalley(["archive", id], in: ws)
        #expect(r.status == 1 && r.stderr.contains("archive"), "archiving twice: \(r)")
        r = try runGalley(["reopen", id], in: ws)
        #expect(r.status == 0 && r.stdout.contains("is now 'draft'"), "\(r)")
    }

    /// A new admin adds the first users and categories before the server's first start; commands
    /// that only read or change what exists never make an archive out of a mistyped data dir.
    @Test func theFirstUsersAreAddedBeforeTheServerFirstStarts() throws {
        let dir = Self.temp("first-users")
        let data = ["GALLEY_DATA_DIR": dir.appendingPathComponent("galley-data").path]
        var r = try runGalley(["user", "list"], in: dir, environment: data, program: "galley-server")
        #expect(r.status == 1 && r.stderr.contains("There is no archive") && r.stderr.contains("galley-server user add"), "\(r)")
        #expect(!FileManager.default.fileExists(atPath: data["GALLEY_DATA_DIR"]!), "a listing made an archive")
        r = try runGalley(["user", "add", "admin", "--role", "admin", "--password-stdin"], in: dir, environment: data, stdin: "admin-password-1\n", program: "galley-server")
        #expect(r.status == 0 && r.stderr.contains("Making a new archive"), "\(r)")
        r = try runGalley(["category", "add", "politics", "Палітыка"], in: dir, environment: data, program: "galley-server")
        #expect(r.status == 0, "\(r)")
        r = try runGalley(["user", "add", "anna", "--password-stdin"], in: dir, environment: data, stdin: "anna-password-1\n", program: "galley-server")
        #expect(r.status == 0 && !r.stderr.contains("Making"), "\(r)")
        r = try runGalley(["user", "role", "anna", "editor"], in: dir, environment: data, program: "galley-server")
        #expect(r.status == 0 && r.stdout.contains("'anna' is now an editor"), "\(r)")
        r = try runGalley(["user", "list"], in: dir, environment: data, program: "galley-server")
        #expect(r.stdout.contains("anna\teditor") && r.stdout.contains("admin\tadmin"), "\(r)")
        r = try runGalley(["category", "list"], in: dir, environment: data, program: "galley-server")
        #expect(r.stdout.contains("politics\tПалітыка"), "\(r)")
    }

    @Test func versionsRefusalsPagesAndPluralsReadAsAPersonExpects() async throws {
        let server = try Self.server()
        defer { server.stop() }
        let dir = Self.temp("cli-small")
        let ws = dir.appendingPathComponent("desk")
        var r = try runGalley(["--version"], in: dir)
        #expect(r.status == 0 && r.stdout == GalleyVersion.string + "\n", "\(r)")
        r = try runGalley(["--version"], in: dir, program: "galley-server")
        #expect(r.status == 0 && r.stdout == GalleyVersion.string + "\n", "\(r)")

        // A duplicate user is an error with its reason, not a usage error.
        let data = ["GALLEY_DATA_DIR": server.dataDir.path]
        r = try runGalley(["user", "add", "anna", "--password-stdin"], in: dir, environment: data, stdin: "anna-password-1\n", program: "galley-server")
        #expect(r.status == 0, "\(r)")
        r = try runGalley(["user", "add", "anna", "--password-stdin"], in: dir, environment: data, stdin: "anna-password-2\n", program: "galley-server")
        #expect(r.status == 1 && r.stderr.contains("already a user named 'anna'") && !r.stderr.contains("USAGE"), "\(r)")

        _ = try runGalley(["init", ws.path, "--server", "http://127.0.0.1:\(server.port)"], in: dir)
        _ = try runGalley(["login", "--user", "anna", "--password-stdin"], in: ws, stdin: "anna-password-1\n")
        // Offline the workspace does not know the categories yet: the server refuses, sync says so.
        r = try runGalley(["new", "--title", "Sport", "--category", "sports"], in: ws)
        #expect(r.status == 0, "\(r)")
        r = try runGalley(["sync"], in: ws)
        #expect(r.status == 5 && r.stdout.contains("1 refused") && r.stdout.contains("galley refused"), "a refusal is not a success: \(r)")
        r = try runGalley(["refused"], in: ws)
        let refusedID = try #require(r.stdout.split(separator: " ").first.map(String.init), "\(r)")
        r = try runGalley(["refused", refusedID], in: ws)
        #expect(r.status == 0 && r.stdout.contains("title: Sport"), "\(r)")
        r = try runGalley(["refused", refusedID, "--dismiss"], in: ws)
        #expect(r.status == 0 && r.stdout.contains("Dismissed"), "\(r)")

        for n in 0..<3 { _ = try runGalley(["new", "--title", "Piece \(n)"], in: ws) }
        r = try runGalley(["sync"], in: ws)
        #expect(r.status == 0 && r.stdout.contains("pushed 3") && r.stdout.contains("pulled 3 articles"), "\(r)")
        _ = try runGalley(["new", "--title", "One more"], in: ws)
        r = try runGalley(["sync"], in: ws)
        #expect(r.stdout.contains("pulled 1 article.") , "\(r)")
        r = try runGalley(["list", "--limit", "2"], in: ws)
        #expect(r.stdout.split(separator: "\n").count == 3 && r.stdout.contains("Showing 1–2 of 4. More: galley list --offset 2"), "\(r)")
        r = try runGalley(["list", "--limit", "2", "--json"], in: ws)
        #expect(r.stderr.contains("Showing 1–2 of 4"), "the note goes to stderr beside JSON: \(r)")
        #expect(((try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8))) as? [Any])?.count == 2)
        r = try runGalley(["list", "--all"], in: ws)
        #expect(r.stdout.split(separator: "\n").count == 4 && !r.stdout.contains("Showing"), "\(r)")
    }

    @Test func aPullBrokenOffWhenTheServerDiesCompletesOnTheNextSync() async throws {
        let server = try Self.server()
        defer { server.stop() }
        // An analyst fills the archive through the API.
        let dir = Self.temp("cli-kill")
        let writerDir = dir.appendingPathComponent("writer")
        let writer = try GalleyApp.initialize(at: writerDir, server: "http://127.0.0.1:\(server.port)")
        _ = try await writer.login(user: "admin", password: "admin-password-1")
        for n in 0..<240 { _ = try writer.newArticle(title: "Article number \(n)", body: "Body \(n) with some words.\n") }
        try await writer.syncOK()

        // A reader pulls in small pages; the server is killed after a few pages.
        let reader = try GalleyApp.initialize(at: dir.appendingPathComponent("reader"), server: "http://127.0.0.1:\(server.port)")
        _ = try await reader.login(user: "admin", password: "admin-password-1")
        var engine = SyncEngine(replica: reader.replica, api: try ServerAPIAccess.api(reader))
        engine.pullLimit = 20
        let killed = KillSwitch()
        await #expect(throws: ClientError.self) {
            _ = try await engine.run { progress in
                if progress.phase == .pulling, progress.done >= 60, !killed.fired {
                    killed.fire()
                    server.kill()
                }
            }
        }
        let partial = try reader.replica.list().count
        #expect(partial >= 60 && partial < 240, "the pull stopped part way (\(partial))")
        #expect(try reader.replica.integrityCheck() == "ok")

        // Restart on the same data dir and port; sync again.
        let again = try ServerProcess.start(dataDir: server.dataDir, port: server.port)
        defer { again.stop() }
        try await reader.syncOK()
        let titles = try reader.replica.list().map(\.content.title)
        #expect(titles.count == 240, "no article missing")
        #expect(Set(titles).count == titles.count, "no article twice")
        #expect(try reader.replica.integrityCheck() == "ok")
    }
}

final class KillSwitch: @unchecked Sendable {
    // @unchecked: `fired` is only read and written under `lock`.
    private let lock = NSLock()
    private var value = false
    var fired: Bool { lock.withLock { value } }
    func fire() { lock.withLock { value = true } }
}

/// Reaches the app's API client for tests that drive the sync engine by hand.
enum ServerAPIAccess {
    static func api(_ app: GalleyApp) throws -> ServerAPI {
        ServerAPI(baseURL: try app.workspace.serverURL(), token: app.workspace.token())
    }
}
