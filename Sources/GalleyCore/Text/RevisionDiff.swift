/// What changed between two revisions, as a reviewer reads it: a unified diff of each text field,
/// then one line for each other field that changed.
public enum RevisionDiff {
    /// - Parameters:
    ///   - fromName, toName: how the two sides are named after the field in the diff's labels
    ///     (`title@1a2b3c4d`, `body @1a2b3c4d`).
    public static func text(from: Revision, to: Revision, fromName: String? = nil, toName: String? = nil) -> String {
        let fromName = fromName ?? "@\(from.id.short)"
        let toName = toName ?? "@\(to.id.short)"
        var out = ""
        for field in ContentField.content where field.isText {
            out += UnifiedDiff.make(
                from: from.content[text: field], to: to.content[text: field],
                oldLabel: "\(field.rawValue)\(fromName)", newLabel: "\(field.rawValue)\(toName)")
        }
        for field in ContentField.content where !field.isText && from.content[text: field] != to.content[text: field] {
            out += "\(field.rawValue): \(from.content[text: field]) -> \(to.content[text: field])\n"
        }
        return out
    }
}
