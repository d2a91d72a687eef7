import ArgumentParser
import Foundation
import GalleyMarkdown
import GalleySite

/// `galley-bench markdown`: what a page, a card and a feed entry cost for bodies built to make
/// Markdown renderers slow (each a known quadratic case of cmark-gfm 0.29 or of Galley's own
/// passes over its output), side by side with ordinary prose of the same size. Each body is
/// rendered as the site renders it: the page's HTML, the card's excerpt, the feed's escaping.
struct MarkdownBenchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "markdown", abstract: "Rendering adversarial bodies against prose of the same size.")

    @Option(help: "Repetitions of each measurement.") var runs = 5
    @Option(help: "Scale of the adversarial bodies (1 = the sizes an attack used).") var scale = 1
    @Flag(help: "Print JSON instead of a Markdown table.") var json = false

    static func prose(bytes: Int) -> String {
        let paragraph = "Minsk aspires to replace the Kremlin with Beijing in some spheres, see [the report](https://belstat.gov.by/a) and *the note*. Мінск і Пекін: ўзаемадзеянне.\n\n"
        return String(repeating: paragraph, count: max(1, bytes / paragraph.utf8.count))
    }

    func run() throws {
        let n = max(1, scale)
        let cases: [(String, String)] = [
            ("3,000 footnote marks (non-ASCII after links)", String(repeating: "[^a]", count: 3000 * n) + "\n\n[^a]: é\n"),
            ("table of 2,000 × 2,000 cells", "|" + String(repeating: "a|", count: 2000 * n) + "\n|" + String(repeating: "-|", count: 2000 * n) + "\n" + String(repeating: "a\n", count: 2000 * n)),
            ("header row of 30,000 columns", String(repeating: "|a", count: 30000 * n) + "\n" + String(repeating: "|-", count: 30000 * n) + "\n"),
            ("block quotes nested 131,000 deep", String(repeating: "> ", count: 131_000 * n) + String(repeating: "a\n", count: 131_000 * n)),
            ("list and quote nested 10,000 deep", String(repeating: "- > ", count: 10000 * n) + "a\n"),
            ("32,000 lines of raw <p> (feed escaping)", String(repeating: "<p>a</p>\n", count: 32000 * n)),
        ]
        var rows: [[String]] = []
        var results: [[String: Any]] = []
        for (name, body) in cases {
            let bytes = body.utf8.count
            let prose = Self.prose(bytes: bytes)
            func render(_ text: String) {
                // Uncached: what a body costs the first time it is shown (the site caches it).
                let html = Markdown.html(text, linkBase: "/articles/")
                _ = Markdown.excerpt(text)
                _ = HTMLSanitizer.escape(html)
            }
            let attack = Bench.measure(runs: runs) { render(body) }
            let reference = Bench.measure(runs: runs) { render(prose) }
            let ratio = Bench.median(attack) / Bench.median(reference)
            rows.append([name, String(format: "%.0f KiB", Double(bytes) / 1024), Bench.summary(attack), Bench.summary(reference), String(format: "%.2f", ratio)])
            results.append(["case": name, "bytes": bytes, "median_ms": Bench.median(attack), "prose_median_ms": Bench.median(reference), "ratio": ratio])
        }
        if json {
            print(Bench.json(["machine": Bench.machine, "runs": runs, "cases": results]))
        } else {
            print("Markdown rendering (page + excerpt + feed escaping), \(Bench.machine), \(runs) runs; target: each ≤ 10 × prose of the same size\n")
            print(Bench.table(["body", "size", "adversarial", "prose, same size", "ratio"], rows))
        }
    }
}
