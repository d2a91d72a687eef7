import ArgumentParser
import Foundation
import GalleyClient
import GalleyCore

/// Options every workspace command shares.
struct WorkspaceOptions: ParsableArguments {
    @Option(name: .long, help: "The workspace folder (default: the one containing the current folder; or GALLEY_WORKSPACE).")
    var workspace: String?

    func open() throws -> GalleyApp {
        try GalleyApp.open(from: URL(fileURLWithPath: FileManager.default.currentDirectoryPath), workspace: workspace)
    }
}

struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print machine-readable JSON.") var json = false
}

/// Runs `body` on the article `id` names (by id, short id or slug) in the workspace `options`
/// opens, with failures reported as ``perform(_:)`` reports them.
func withArticle(_ options: WorkspaceOptions, _ id: String, _ body: (GalleyApp, Article) throws -> Void) async throws {
    try await perform {
        let app = try options.open()
        try body(app, try app.find(id))
    }
}

/// Runs a command body and turns failures into a message on stderr and a documented exit status.
func perform(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as GalleyError {
        Terminal.error(error.message)
        throw ExitCode(1)
    } catch let error as ClientError {
        Terminal.error(error.description)
        throw ExitCode(error.exitCode)
    } catch let error as ExitCode {
        throw error
    } catch let error as ValidationError {
        throw error
    } catch let error as CleanExit {
        throw error
    } catch {
        Terminal.error(ErrorExplanation.message(for: error) ?? "\(error)")
        throw ExitCode(1)
    }
}

enum Terminal {
    static let isTTY = isatty(STDOUT_FILENO) == 1
    static let color = isTTY && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        && ProcessInfo.processInfo.environment["TERM"] != "dumb"

    static func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    static func bold(_ s: String) -> String { paint(s, "1") }
    static func dim(_ s: String) -> String { paint(s, "2") }
    static func red(_ s: String) -> String { paint(s, "31") }
    static func green(_ s: String) -> String { paint(s, "32") }
    static func yellow(_ s: String) -> String { paint(s, "33") }

    static func error(_ message: String) {
        let prefix = isatty(STDERR_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil ? "\u{1B}[31merror:\u{1B}[0m " : "error: "
        FileHandle.standardError.write(Data((prefix + message + "\n").utf8))
    }

    static func json<T: Encodable>(_ value: T) throws {
        let data = try GalleyJSON.encoder(pretty: true).encode(value)
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }

    /// Reads a line without echo (for passwords), from the terminal.
    static func secret(_ prompt: String) -> String? {
        guard let raw = getpass(prompt) else { return nil }
        return String(cString: raw)
    }

    static func ask(_ question: String) -> Bool {
        guard isatty(STDIN_FILENO) == 1 else { return false }
        FileHandle.standardError.write(Data("\(question) [Y/n] ".utf8))
        let answer = readLine()?.trimmingCharacters(in: .whitespaces).lowercased() ?? "n"
        return answer.isEmpty || answer.hasPrefix("y")
    }

    /// One article in a listing; `conflicts` (its open ones) are named at the end, as `show` does.
    static func line(_ article: Article, conflicts: Int = 0) -> String {
        let state = article.state.rawValue.replacingOccurrences(of: "_", with: " ")
        let tags = article.content.sortedTags.isEmpty ? "" : dim("  #" + article.content.sortedTags.joined(separator: " #"))
        let open = conflicts == 0 ? "" : red("  \(count(conflicts, "conflict"))")
        return "\(yellow(article.id.short))  \(pad(state, 17))  \(article.content.title)\(tags)\(open)"
    }

    /// A state as people read it: "changes requested", not `changes_requested`.
    static func state(_ state: ArticleState) -> String { state.rawValue.replacingOccurrences(of: "_", with: " ") }

    /// What saving a change did, including what it did to the article's review.
    static func saved(_ before: Article, _ after: Article) -> String {
        var line = "Saved \(after.id.short) (\(state(after.state))); it goes to the server on the next sync."
        if before.state != after.state, after.state == .submitted {
            line += " It was \(state(before.state)): the new text goes back to review"
            line += before.publishedRevision != nil ? ", and readers see the published text until an editor approves and publishes the new one." : "."
        }
        return line
    }

    /// "1 article", "2 articles".
    static func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }

    static func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }

    /// "Dec 03, 2026 14:00" in the local time zone (TZ, else /etc/localtime). By the C library,
    /// not a DateFormatter: making one loads ICU's calendar data, a tenth of `galley status`.
    static func localTime(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        guard localtime_r(&seconds, &parts) != nil else { return "\(date)" }
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(months[Int(parts.tm_mon)]) \(two(parts.tm_mday)), \(parts.tm_year + 1900) \(parts.tm_hour):\(two(parts.tm_min))"
    }
}

/// Reads a file's text for --body-file and --from, with a clear error: a path, `-` for
/// standard input, or a pipe such as bash's `<(command)` (/dev/fd/N, which has no size to
/// read by, so it is read to its end as standard input is). Text that is not UTF-8 is refused
/// from any of them rather than stored with its bad bytes replaced.
func readText(_ path: String) throws -> String {
    // Far above any article (a body is at most 1 MiB), so that /dev/zero or a runaway pipe is
    // refused instead of read until memory runs out.
    let cap = 16 << 20
    func readAll(_ handle: FileHandle) throws -> Data {
        var data = Data()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            data += chunk
            if data.count > cap {
                throw GalleyError(.malformed, "\(path == "-" ? "Standard input" : path) goes on past 16 MiB; an article's body is at most 1 MiB. Give a text file.")
            }
        }
        return data
    }
    let data: Data
    if path == "-" {
        do {
            data = try readAll(FileHandle.standardInput)
        } catch let error as GalleyError {
            throw error
        } catch {
            throw GalleyError(.notFound, "Cannot read standard input (\(((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.localizedDescription ?? error.localizedDescription)); pipe a text file into it.")
        }
    } else {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw GalleyError(.notFound, "Cannot read \(path): no such file.")
        }
        guard !isDirectory.boolValue else {
            throw GalleyError(.malformed, "\(path) is a folder; give a file (galley import takes folders).")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw GalleyError(.notFound, "Cannot read \(path): not readable (\(String(cString: strerror(errno)))).")
        }
        defer { try? handle.close() }
        do {
            data = try readAll(handle)
        } catch let error as GalleyError {
            throw error
        } catch {
            throw GalleyError(.notFound, "Cannot read \(path): \(error.localizedDescription)")
        }
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw GalleyError(.malformed, "\(path == "-" ? "Standard input" : path) is not UTF-8 text; save it as UTF-8 and try again.")
    }
    return text
}

extension ArticleState: ExpressibleByArgument {}
