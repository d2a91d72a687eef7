import Foundation
import GalleyCore

/// Opens `$EDITOR` (then `$VISUAL`, then `vi`) on a file and gives back what was saved. A
/// validation error never loses the text: it is kept in `.galley/rescue/` and, on a terminal,
/// the editor can be reopened on it.
public struct EditorSession: Sendable {
    public let workspace: Workspace
    public let editor: String

    public init(workspace: Workspace, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.workspace = workspace
        editor = [environment["EDITOR"], environment["VISUAL"]].compactMap { $0 }.first { !$0.isEmpty } ?? "vi"
    }

    /// Runs the editor on `text` and returns the saved text.
    public func edit(_ text: String, name: String) throws -> String {
        let dir = workspace.galleyDir.appendingPathComponent("edit")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let file = dir.appendingPathComponent("\(name).md")
        try Data(text.utf8).write(to: file, options: .atomic)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // Through the shell, so that EDITOR may carry arguments ("code --wait").
        process.arguments = ["-c", "\(editor) \"$1\"", "galley-edit", file.path]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw GalleyError(.malformed, "The editor (\(editor)) exited with status \(process.terminationStatus); nothing was saved. Your text is still in \(file.path).")
        }
        guard let data = FileManager.default.contents(atPath: file.path) else {
            throw GalleyError(.notFound, "The edited file \(file.path) disappeared; nothing was saved.")
        }
        try? FileManager.default.removeItem(at: file)
        return String(decoding: data, as: UTF8.self)
    }

    public enum Outcome: Sendable {
        case saved(Article)
        case unchanged
        /// The text could not be saved as a change; it is in the rescue file.
        case rescued(URL, GalleyError)
    }

    /// `galley edit ID`: the article as Markdown with front matter, validated on save.
    /// - Parameter reopen: asked whether to reopen the editor after an error (on a terminal).
    public func editArticle(_ article: Article, app: GalleyApp, reopen: (GalleyError, URL) -> Bool) throws -> Outcome {
        var text = ArticleDocument(article.content).render()
        let original = text
        while true {
            text = try edit(text, name: article.id.short)
            if text == original { return .unchanged }
            do {
                let document = try ArticleDocument.parse(text, source: "your edit")
                guard let saved = try app.save(document, to: article) else { return .unchanged }
                return .saved(saved)
            } catch let error as GalleyError {
                let rescue = try workspace.rescue(text, name: article.id.short)
                if !reopen(error, rescue) { return .rescued(rescue, error) }
            }
        }
    }
}
