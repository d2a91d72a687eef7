import Foundation
import Testing

@testable import GalleyCore

/// Every workflow action in every state, for every kind of actor, against a table written out
/// by hand: the table is the specification, the function must agree with it.
@Suite struct WorkflowTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)
    static let head = RevisionID(article: ArticleID(UUID(uuid: (1, 2, 3, 4, 5, 6, 0x70, 8, 0x80, 10, 11, 12, 13, 14, 15, 16))), parents: [], content: ArticleContent(title: "Head"))
    static let older = RevisionID(article: ArticleID(UUID(uuid: (1, 2, 3, 4, 5, 6, 0x70, 8, 0x80, 10, 11, 12, 13, 14, 15, 16))), parents: [], content: ArticleContent(title: "Older"))

    /// The article in each state, as it would be after the usual path there.
    static func status(_ state: ArticleState) -> Workflow.Status {
        switch state {
        case .draft, .submitted, .changesRequested, .archived: Workflow.Status(state: state)
        case .approved: Workflow.Status(state: .approved, approvedRevision: head)
        case .scheduled: Workflow.Status(state: .scheduled, approvedRevision: head, scheduledAt: now.addingTimeInterval(3600))
        case .published: Workflow.Status(state: .published, approvedRevision: head, publishedRevision: head, publishedAt: now)
        case .retracted: Workflow.Status(state: .retracted, publishedRevision: older, publishedAt: now, retractionMessage: "Wrong figures")
        }
    }

    static let states: [ArticleState] = [.draft, .submitted, .changesRequested, .approved, .scheduled, .published, .retracted, .archived]

    static let actions: [String: Workflow.Action] = [
        "edit": .edit,
        "submit": .command(.submit),
        "approve": .command(.approve(revision: head)),
        "approve-stale": .command(.approve(revision: older)),
        "request": .command(.requestChanges(message: "Cite the source of the figures")),
        "request-empty": .command(.requestChanges(message: "  ")),
        "publish": .command(.publish(at: nil)),
        "publish-later": .command(.publish(at: now.addingTimeInterval(86_400))),
        "retract": .command(.retract(message: "The figures were wrong")),
        "retract-empty": .command(.retract(message: "")),
        "archive": .command(.archive),
        "reopen": .command(.reopen),
        "delete": .delete,
        "authors": .changeAuthors,
        "related": .curateRelated,
    ]

    /// action, actor, then the outcome in each state in the order of `states`: a new state, or
    /// `!code` for an error. Actors: `author` (an analyst who is an author), `other` (an analyst
    /// who is not), `editor` and `admin` (neither an author).
    static let table = """
        edit           author  draft      submitted  changes_requested submitted  submitted  submitted  retracted  archived
        edit           other   !not_author !not_author !not_author !not_author !not_author !not_author !not_author !not_author
        edit           editor  draft      submitted  changes_requested submitted  submitted  submitted  retracted  archived
        edit           admin   draft      submitted  changes_requested submitted  submitted  submitted  retracted  archived
        submit         author  submitted  !invalid_transition submitted !invalid_transition !invalid_transition !invalid_transition !invalid_transition !invalid_transition
        submit         other   !not_author !not_author !not_author !not_author !not_author !not_author !not_author !not_author
        submit         editor  submitted  !invalid_transition submitted !invalid_transition !invalid_transition !invalid_transition !invalid_transition !invalid_transition
        submit         admin   submitted  !invalid_transition submitted !invalid_transition !invalid_transition !invalid_transition !invalid_transition !invalid_transition
        approve        author  !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed
        approve        other   !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed
        approve        editor  !invalid_transition approved !invalid_transition !invalid_transition !invalid_transition !invalid_transition !invalid_transition !invalid_transition
        approve        admin   !invalid_transition approved !invalid_transition !invalid_transition !invalid_transition !invalid_transition !invalid_transition !invalid_transition
        approve-stale  author  !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed
        approve-stale  editor  !invalid_transition !stale_revision !invalid_transition !invalid_transition !invalid_transition !invalid_transition !invalid_transition !invalid_transition
        approve-stale  admin   !invalid_transition !stale_revision !invalid_transition !invalid_transition !invalid_transition !invalid_transition !invalid_transition !invalid_transition
        request        author  !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed
        request        other   !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed
        request        editor  !invalid_transition changes_requested !invalid_transition changes_requested changes_requested !invalid_transition !invalid_transition !invalid_transition
        request        admin   !invalid_transition changes_requested !invalid_transition changes_requested changes_requested !invalid_transition !invalid_transition !invalid_transition
        request-empty  editor  !message_required !message_required !message_required !message_required !message_required !message_required !message_required !message_required
        publish        author  !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed
        publish        other   !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed
        publish        editor  !invalid_transition !invalid_transition !invalid_transition published published !invalid_transition !invalid_transition !invalid_transition
        publish        admin   !invalid_transition !invalid_transition !invalid_transition published published !invalid_transition !invalid_transition !invalid_transition
        publish-later  author  !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed
        publish-later  editor  !invalid_transition !invalid_transition !invalid_transition scheduled scheduled !invalid_transition !invalid_transition !invalid_transition
        retract        author  !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed
        retract        other   !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed
        retract        editor  !invalid_transition !invalid_transition !invalid_transition !invalid_transition !invalid_transition retracted !invalid_transition !invalid_transition
        retract        admin   !invalid_transition !invalid_transition !invalid_transition !invalid_transition !invalid_transition retracted !invalid_transition !invalid_transition
        retract-empty  editor  !message_required !message_required !message_required !message_required !message_required !message_required !message_required !message_required
        archive        author  archived   archived   archived   archived   archived   !not_allowed !not_allowed !invalid_transition
        archive        other   !not_author !not_author !not_author !not_author !not_author !not_author !not_author !not_author
        archive        editor  archived   archived   archived   archived   archived   archived   archived   !invalid_transition
        archive        admin   archived   archived   archived   archived   archived   archived   archived   !invalid_transition
        reopen         author  !invalid_transition !invalid_transition !invalid_transition !invalid_transition !invalid_transition !not_allowed !not_allowed draft
        reopen         other   !not_author !not_author !not_author !not_author !not_author !not_author !not_author !not_author
        reopen         editor  !invalid_transition !invalid_transition !invalid_transition !invalid_transition !invalid_transition !invalid_transition draft draft
        delete         author  draft      submitted  changes_requested approved approved !invalid_transition !invalid_transition archived
        delete         other   !not_author !not_author !not_author !not_author !not_author !not_author !not_author !not_author
        delete         editor  draft      submitted  changes_requested approved approved !invalid_transition !invalid_transition archived
        authors        author  draft      submitted  changes_requested submitted submitted submitted retracted archived
        authors        other   !not_author !not_author !not_author !not_author !not_author !not_author !not_author !not_author
        authors        editor  draft      submitted  changes_requested submitted submitted submitted retracted archived
        related        author  !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed !not_allowed
        related        editor  draft      submitted  changes_requested approved scheduled published retracted archived
        """

    struct Row: CustomTestStringConvertible, Sendable {
        let action: String
        let actor: String
        let expected: [String]
        var testDescription: String { "\(action) by \(actor)" }
    }

    static var rows: [Row] {
        table.split(separator: "\n").map { line in
            let parts = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            return Row(action: parts[0], actor: parts[1], expected: Array(parts[2...]))
        }
    }

    static func actor(_ name: String) -> Workflow.Actor {
        switch name {
        case "author": Workflow.Actor(role: .analyst, isAuthor: true)
        case "other": Workflow.Actor(role: .analyst, isAuthor: false)
        case "editor": Workflow.Actor(role: .editor, isAuthor: false)
        default: Workflow.Actor(role: .admin, isAuthor: false)
        }
    }

    @Test(arguments: rows)
    func transition(row: Row) throws {
        #expect(row.expected.count == Self.states.count, "malformed table row")
        let action = try #require(Self.actions[row.action])
        for (state, expected) in zip(Self.states, row.expected) {
            let result = Workflow.decide(
                action, status: Self.status(state), head: Self.head, openConflicts: 0, actor: Self.actor(row.actor), now: Self.now)
            switch result {
            case .success(let next):
                #expect(next.state.rawValue == expected, "\(row.action) by \(row.actor) in \(state): got \(next.state.rawValue), want \(expected)")
            case .failure(let error):
                #expect("!" + error.code.rawValue == expected, "\(row.action) by \(row.actor) in \(state): got error \(error.code) (\(error.message)), want \(expected)")
                #expect(!error.message.isEmpty)
            }
        }
    }

    @Test func tableCoversEveryActionForEveryActorKind() {
        let covered = Set(Self.rows.map(\.action))
        #expect(covered == Set(Self.actions.keys))
        // Analysts must never be able to approve, publish, schedule or retract: every such row says so.
        for row in Self.rows where ["approve", "publish", "publish-later", "retract", "request", "related"].contains(row.action)
            && ["author", "other"].contains(row.actor)
        {
            #expect(row.expected.allSatisfy { $0 == "!not_allowed" }, "\(row.action) by \(row.actor)")
        }
    }

    @Test func openConflictsBlockSubmitApproveAndPublish() {
        let cases: [(ArticleState, Workflow.Action, Workflow.Actor)] = [
            (.draft, .command(.submit), Self.actor("author")),
            (.submitted, .command(.approve(revision: Self.head)), Self.actor("editor")),
            (.approved, .command(.publish(at: nil)), Self.actor("editor")),
        ]
        for (state, action, actor) in cases {
            let result = Workflow.decide(action, status: Self.status(state), head: Self.head, openConflicts: 2, actor: actor, now: Self.now)
            guard case .failure(let error) = result else {
                Issue.record("\(action) in \(state) with open conflicts should fail")
                continue
            }
            #expect(error.code == .openConflict)
            #expect(error.message.contains("galley resolve"))
        }
    }

    @Test func approvalIsVoidedByALaterHead() throws {
        let editor = Self.actor("editor")
        // Approved at `older`; the head has since moved to `head`.
        let approved = Workflow.Status(state: .approved, approvedRevision: Self.older)
        let publish = Workflow.decide(.command(.publish(at: nil)), status: approved, head: Self.head, openConflicts: 0, actor: editor, now: Self.now)
        guard case .failure(let error) = publish else {
            Issue.record("publishing a moved head must fail")
            return
        }
        #expect(error.code == .staleRevision)

        // An edit of an approved article sends it back to review and forgets the approval.
        let edited = try Workflow.decide(.edit, status: Self.status(.approved), head: Self.head, openConflicts: 0, actor: Self.actor("author"), now: Self.now).get()
        #expect(edited.state == .submitted)
        #expect(edited.approvedRevision == nil)
    }

    @Test func publishingANewHeadNeedsAFreshApprovalWhileTheOldStaysLive() throws {
        let author = Self.actor("author")
        let edited = try Workflow.decide(.edit, status: Self.status(.published), head: Self.head, openConflicts: 0, actor: author, now: Self.now).get()
        #expect(edited.state == .submitted)
        #expect(edited.publishedRevision == Self.head, "the published revision stays live during review")
        let newHead = Self.older
        let publish = Workflow.decide(.command(.publish(at: nil)), status: edited, head: newHead, openConflicts: 0, actor: Self.actor("editor"), now: Self.now)
        #expect(throws: GalleyError.self) { try publish.get() }
        let approved = try Workflow.decide(.command(.approve(revision: newHead)), status: edited, head: newHead, openConflicts: 0, actor: Self.actor("editor"), now: Self.now).get()
        let published = try Workflow.decide(.command(.publish(at: nil)), status: approved, head: newHead, openConflicts: 0, actor: Self.actor("editor"), now: Self.now).get()
        #expect(published.publishedRevision == newHead)
        #expect(published.publishedAt == Self.now, "the first publication time is kept")
    }
}
