extension Change {
    /// Checks the text a change carries besides the content it sets (which ``ArticleValidator``
    /// checks once the change is applied): the earlier values it names as the common ancestor of a
    /// merge (they are stored in conflict records), tags it removes, co-authors, the note and the
    /// command's message. Every failure names the field as it is on the wire.
    public func checkText() throws(GalleyError) {
        // Every text the change carries is checked before anything is looked up with it (a
        // database cannot even be asked about a NUL).
        for field in ContentField.single {
            if let value = set[field] {
                try TextRules.check(ArticleContent.normalizedField(field, value), field: field.rawValue, kind: TextRules.kind(of: field))
            }
            if let value = previous[field] {
                try TextRules.check(
                    ArticleContent.normalizedField(field, value), field: "previous.\(field.rawValue)", kind: TextRules.kind(of: field))
            }
        }
        for tag in tags.add { try TextRules.check(tag, field: "tags.add", kind: .label) }
        for tag in tags.remove { try TextRules.check(tag, field: "tags.remove", kind: .label) }
        // Lists are checked item by item under the archive's writer lock: a change names a
        // bounded number, as a person would.
        for (count, field) in [(authors.add.count, "authors.add"), (authors.remove.count, "authors.remove"),
                               (related.add.count, "related.add"), (related.remove.count, "related.remove"),
                               (tags.add.count, "tags.add"), (tags.remove.count, "tags.remove")]
        where count > Self.maxListEdit {
            throw GalleyError(.fieldInvalid, "The change lists \(count) items in \(field); one change may name at most \(Self.maxListEdit).", field: field)
        }
        for name in authors.add { try AccountRules.checkUserName(name, field: "authors.add") }
        for name in authors.remove { try AccountRules.checkUserName(name, field: "authors.remove") }
        if let note { try Self.checkNote(note.text, field: "note.text") }
        switch command {
        case .requestChanges(let message), .retract(let message):
            try Self.checkNote(message, field: "command.message")
        default:
            break
        }
    }

    /// The most co-authors, related articles or tags one change may add or remove.
    public static let maxListEdit = 100

    static func checkNote(_ text: String, field: String) throws(GalleyError) {
        try TextRules.check(text, field: field, kind: .prose)
        let length = text.unicodeScalars.count
        guard length <= ArticleValidator.maxNoteLength else {
            throw GalleyError(.fieldInvalid, "The \(TextRules.describe(field)) has \(length) characters; keep it to \(ArticleValidator.maxNoteLength) (a long text belongs in the article).", field: field)
        }
    }
}
