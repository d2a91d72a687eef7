import ArgumentParser
import Foundation
import GalleyCore
import GalleyStore

/// `galley-bench cli`: whole `galley` processes as people run them, side by side with git on the
/// same machine in the same run: `merge-file -p` on small files against `git merge-file -p`, and
/// `status`, `list`, `show` in a workspace of many articles against `git status` in a repository
/// of as many files.
struct CLIBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cli", abstract: "galley commands as whole processes (start-up included) against git on the same machine.")

    @Option(help: "Articles in the workspace (and files in the git repository).") var articles = 20_000
    @Option(help: "Repetitions of each measurement.") var runs = 30
    @Option var seed: UInt64 = 1
    @Option(help: "Keep the synced workspace in DIR, and reuse it when it is there.") var keep: String?
    @Option(help: "Another galley binary to measure beside this build's, in the same runs (for example one built with --static-swift-stdlib).") var alsoGalley: String?
    @Flag(help: "Print JSON instead of a Markdown table.") var json = false

    func run() async throws {
        guard let git = Bench.which("git") else { throw ValidationError("git is needed to compare with") }
        let galley = Bench.binary("galley")
        let dir = Bench.temporary("cli")
        defer { try? FileManager.default.removeItem(at: dir) }

        // Small files: three versions of a short article, one edit on each side.
        let base = "Мінск і Пекін\n\nПершы абзац.\n\nДругі абзац.\n\nТрэці абзац.\n"
        let sides = [base, base.replacingOccurrences(of: "Першы", with: "Новы першы"), base.replacingOccurrences(of: "Трэці", with: "Апошні")]
        let files = ["base", "ours", "theirs"].map { dir.appendingPathComponent($0).path }
        for (path, text) in zip(files, sides) { try Data(text.utf8).write(to: URL(fileURLWithPath: path)) }
        let mergeArgs = ["merge-file", "-p", files[1], files[0], files[2]]

        let ws = try await workspace()
        defer { if keep == nil { try? FileManager.default.removeItem(at: ws) } }
        let replica = try ClientReplica(path: ws.appendingPathComponent(".galley/replica.sqlite").path)
        guard let some = try replica.list(limit: 1).first else { throw ValidationError("the workspace is empty") }
        Bench.note("a git repository of \(articles) files")
        let repo = try Self.repository(files: articles, in: dir, git: git)

        // The commands read the workspace (and git the repository) from the working directory.
        let here = FileManager.default.currentDirectoryPath
        defer { FileManager.default.changeCurrentDirectoryPath(here) }
        var rows: [[String]] = []
        var results: [String: Any] = ["machine": Bench.machine, "articles": articles, "runs": runs]
        // Interleaved, one run of each at a time, so that a noisy moment hits all of them.
        var cases: [(name: String, key: String, program: String, args: [String], cwd: URL)] = [
            ("git merge-file -p (small files)", "gitMergeFile", git, mergeArgs, dir),
            ("git status (\(articles) files)", "gitStatus", git, ["status", "--porcelain"], repo),
        ]
        for (label, program) in [("", galley), (" [other build]", alsoGalley)] {
            guard let program else { continue }
            let suffix = label.isEmpty ? "" : "Other"
            cases += [
                ("galley merge-file -p (small files)" + label, "galleyMergeFile" + suffix, program, mergeArgs, dir),
                ("galley status" + label, "galleyStatus" + suffix, program, ["status"], ws),
                ("galley list" + label, "galleyList" + suffix, program, ["list"], ws),
                ("galley show ID" + label, "galleyShow" + suffix, program, ["show", some.id.short], ws),
            ]
        }
        var times = Array(repeating: [Double](), count: cases.count)
        for k in 0...runs {
            for (i, c) in cases.enumerated() {
                FileManager.default.changeCurrentDirectoryPath(c.cwd.path)
                let started = Bench.now()
                guard try Bench.run(c.program, c.args) == 0 || c.key.contains("MergeFile") else { throw ValidationError("\(c.name) failed") }
                // The first round warms the page cache, as for anyone who runs a command twice.
                if k > 0 { times[i].append(Double(Bench.now() - started) / 1e6) }
            }
        }
        let gitMerge = Bench.median(times[0])
        let gitStatus = Bench.median(times[1])
        for (i, c) in cases.enumerated() {
            let median = Bench.median(times[i])
            results[c.key + "MedianMs"] = median
            let note: String
            if c.key.hasPrefix("galleyMergeFile") {
                note = String(format: "%.2f × git merge-file (target ≤ 1.5)", median / gitMerge)
            } else if c.key.hasPrefix("galley") {
                note = String(format: "%.2f × git status; target ≤ 20 ms", median / gitStatus)
            } else {
                note = "–"
            }
            rows.append([c.name, Bench.summary(times[i]), note])
        }
        if json { return print(Bench.json(results)) }
        print("cli on \(Bench.machine): whole processes, median (min–max) of \(runs) runs, interleaved\n")
        print(Bench.table(["command", "time", "against git"], rows))
    }

    /// A workspace synced with an archive of `articles` articles (the server is gone by then:
    /// the commands measured work offline).
    func workspace() async throws -> URL {
        if let keep, FileManager.default.fileExists(atPath: keep + "/.galley/replica.sqlite") {
            Bench.note("reusing the workspace in \(keep)")
            return URL(fileURLWithPath: keep)
        }
        Bench.note("preparing a workspace of \(articles) articles")
        let dataDir = try await BenchServer.prepare(articles: articles, seed: seed)
        defer { try? FileManager.default.removeItem(at: dataDir) }
        let server = try BenchServer(dataDir: dataDir)
        defer { _ = server.stop() }
        let ws = try server.workspace()
        guard try server.sync(ws).status == 0 else { throw ValidationError("galley sync failed") }
        guard let keep else { return ws }
        try? FileManager.default.removeItem(atPath: keep)
        try FileManager.default.moveItem(at: ws, to: URL(fileURLWithPath: keep))
        return URL(fileURLWithPath: keep)
    }

    /// A committed repository of `files` small Markdown files, as many as the workspace's articles.
    static func repository(files: Int, in dir: URL, git: String) throws -> URL {
        let repo = dir.appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        for n in 0..<files {
            try Data("---\ntitle: Article \(n)\n---\nBody of article \(n).\n".utf8).write(to: repo.appendingPathComponent("article-\(n).md"))
        }
        let env = ["GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x"]
        for args in [["-C", repo.path, "init", "-q"], ["-C", repo.path, "add", "-A"], ["-C", repo.path, "commit", "-qm", "archive"]] {
            guard try Bench.measured(git, args, environment: env).status == 0 else { throw ValidationError("git \(args[2]) failed") }
        }
        return repo
    }
}
