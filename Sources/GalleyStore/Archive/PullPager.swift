import Foundation
import GalleyCore

/// How a pull page is cut from the archive's ordered streams, the same on every backend: each
/// backend reads the streams its own way (each at most `limit + 1` deep, after the cursor, only
/// what the viewer may see) and this merges them by sequence number.
package enum PullPager {
    /// The streams after the cursor, each oldest first and cut at `limit + 1` rows.
    package struct Streams {
        package var articles: [(seq: Int64, article: Article)] = []
        package var conflicts: [(seq: Int64, conflict: Conflict)] = []
        package var notes: [(seq: Int64, note: ReviewNote)] = []
        /// Workflow events; nil where the recorded kind is not one a client is told of.
        package var events: [(seq: Int64, event: ArticleEvent?)] = []

        package init() {}
    }

    /// One page: whole sequence numbers only (a change's articles, conflicts, notes and events
    /// travel together), at most `limit` items or `maxBytes` unless one sequence number alone is
    /// more, never past where a cut stream stops (a row beyond it could come first).
    ///
    /// - Parameters:
    ///   - conflictGroup: every conflict at one sequence number the viewer sees, for a change that
    ///     settled more conflicts than a page holds.
    ///   - revision: a revision by id, for the heads and published revisions of the articles sent.
    package static func page(
        epoch: String, cursor: Int64, limit: Int, maxBytes: Int, streams: Streams,
        conflictGroup: (Int64) throws -> [Conflict], revision: (RevisionID) throws -> Revision?
    ) throws -> PullPage {
        enum Item { case article(Article), conflict(Conflict), note(ReviewNote), event(ArticleEvent?) }
        var items: [(Int64, Int, Item)] = []
        items += streams.articles.map { ($0.seq, 0, .article($0.article)) }
        items += streams.conflicts.map { ($0.seq, 1, .conflict($0.conflict)) }
        items += streams.notes.map { ($0.seq, 2, .note($0.note)) }
        items += streams.events.map { ($0.seq, 3, .event($0.event)) }
        items.sort { ($0.0, $0.1) < ($1.0, $1.1) }
        // A stream that was cut at `limit + 1` rows bounds how far the merged page can go.
        var horizon = Int64.max
        for seqs in [streams.articles.map(\.seq), streams.conflicts.map(\.seq), streams.notes.map(\.seq), streams.events.map(\.seq)]
        where seqs.count > limit {
            horizon = min(horizon, seqs[limit])
        }
        var truncated = false
        if let first = items.first?.0, first == horizon {
            truncated = true
            // One change settled more conflicts than a page holds: send that whole group.
            items = items.filter { if case .conflict = $0.2 { return false } else { return $0.0 == first } }
            items += try conflictGroup(first).map { (first, 1, .conflict($0)) }
            items.sort { ($0.0, $0.1) < ($1.0, $1.1) }
            horizon = first + 1
        }

        var page = PullPage(epoch: epoch, articles: [], conflicts: [], notes: [], nextCursor: cursor, hasMore: false)
        var taken = 0
        var bytes = 0
        for (seq, _, item) in items {
            if seq >= horizon || ((taken >= limit || bytes >= maxBytes) && seq != page.nextCursor) {
                page.hasMore = true
                break
            }
            switch item {
            case .article(let article):
                // A view of a retracted article has a head made for it, stored nowhere.
                let shown = article.state == .retracted ? Revision.shownInPlace(of: article) : nil
                guard let head = shown?.id == article.headRevision ? shown : try revision(article.headRevision) else {
                    throw StoreError.corrupt("the head revision of article \(article.id.short) is missing")
                }
                let published = try article.publishedRevision.flatMap { id in id == article.headRevision ? nil : try revision(id) }
                bytes += approximateSize(head) + (published.map(approximateSize) ?? 0)
                page.articles.append(PulledArticle(article: article, head: head, published: published, seq: seq))
            case .conflict(let conflict):
                bytes += conflict.base.utf8.count + conflict.ours.utf8.count + conflict.theirs.utf8.count
                page.conflicts.append(conflict)
            case .note(let note):
                bytes += note.text.utf8.count
                page.notes.append(note)
            case .event(let event):
                if let event { page.events.append(event) }
            }
            page.nextCursor = seq
            taken += 1
        }
        if truncated { page.hasMore = true }
        return page
    }

    static func approximateSize(_ r: Revision) -> Int {
        r.content.body.utf8.count + r.content.lead.utf8.count + r.content.title.utf8.count + 512
    }
}
