import Foundation
import GalleyCore
import GalleyStore

extension GalleyApp {
    package struct ExportReport: Encodable, Sendable {
        package var written: [String]
    }

    /// `galley export DIR`: one Markdown file with front matter per article, named by slug.
    package func export(to directory: URL) throws -> ExportReport {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var written: [String] = []
        for view in try list().views {
            let article = try find(view.article.id.description)
            var doc = ArticleDocument(article.content)
            doc.extra = [("id", article.id.description), ("state", article.state.rawValue), ("authors", article.authors.joined(separator: ", "))]
            if let published = article.publishedAt { doc.extra.append(("date", Timestamp.format(published))) }
            let name = (article.content.slug.isEmpty ? article.id.short : article.content.slug) + ".md"
            try Data(doc.render().utf8).write(to: directory.appendingPathComponent(name), options: .atomic)
            written.append(name)
        }
        return ExportReport(written: written)
    }

    package struct ImportReport: Encodable, Sendable {
        package var created: [Created]
        package var failed: [Failure]

        package struct Created: Encodable, Sendable {
            package var file: String
            package var id: String
            package var title: String
        }

        package struct Failure: Encodable, Sendable {
            package var file: String
            package var reason: String
        }
    }

    /// `galley import PATH…`: each Markdown file (or each `.md` in a folder) becomes a draft;
    /// a file that cannot be taken is reported with the reason, and the others still go in.
    package func importFiles(_ paths: [String]) throws -> ImportReport {
        var report = ImportReport(created: [], failed: [])
        var files: [URL] = []
        for path in paths {
            let url = URL(fileURLWithPath: path)
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir), isDir.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
                files += names.filter { $0.hasSuffix(".md") || $0.hasSuffix(".markdown") }.sorted().map { url.appendingPathComponent($0) }
            } else {
                files.append(url)
            }
        }
        for file in files {
            do {
                guard let data = FileManager.default.contents(atPath: file.path) else {
                    throw GalleyError(.notFound, "cannot read the file")
                }
                guard let text = String(data: data, encoding: .utf8) else { throw GalleyError(.malformed, "the file is not UTF-8 text") }
                let doc = try ArticleDocument.parse(text, source: file.lastPathComponent)
                var change = try change(for: nil)
                let content = doc.content
                // Every field the file has; an empty slug is the server's to make from the title.
                change.set = .init(Dictionary(uniqueKeysWithValues: ContentField.single.map { ($0, content[text: $0]) }))
                if content.slug.isEmpty { change.set.slug = nil }
                change.tags = SetEdit(add: content.sortedTags)
                var check = content
                if check.slug.isEmpty { check.slug = Slug.make(from: check.title) }
                try checkLocally(check)
                let article = try record(change)
                report.created.append(.init(file: file.path, id: article.id.short, title: article.content.title))
            } catch let error as GalleyError {
                report.failed.append(.init(file: file.path, reason: error.message))
            }
        }
        return report
    }
}
