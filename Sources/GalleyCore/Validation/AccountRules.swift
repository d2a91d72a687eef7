import Foundation

/// The rules for user names, passwords and categories, the same for the HTTP API, the
/// `galley-server` commands and the client, so that they cannot drift apart.
public enum AccountRules {
    public static let maxUserName = 64
    public static let passwordBytes = 10...72
    public static let maxCategoryName = 100

    /// User names appear in URLs, in front matter, as authors and as keys of the login throttle:
    /// 1 to 64 letters, digits, dots, hyphens or underscores.
    public static func checkUserName(_ name: String, field: String = "name") throws(GalleyError) {
        try TextRules.check(name, field: field, kind: .label)
        let ok = !name.isEmpty && name.count <= maxUserName
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0) }
        guard ok else {
            throw GalleyError(.fieldInvalid, "A user name is 1 to \(maxUserName) letters, digits, dots, hyphens or underscores; '\(name)' is not.", field: field)
        }
    }

    /// Whether `name` has the shape of a user name (for lookups that must not match a cut-off one).
    public static func isUserName(_ name: String) -> Bool {
        (try? checkUserName(name)) != nil
    }

    /// bcrypt reads at most 72 bytes and stops at NUL, so a longer password, or one with a control
    /// character, would be checked as a shorter one.
    public static func checkPassword(_ password: String) throws(GalleyError) {
        try TextRules.check(password, field: "password", kind: .secret)
        guard password.count >= passwordBytes.lowerBound, password.utf8.count <= passwordBytes.upperBound else {
            throw GalleyError(
                .fieldInvalid,
                "A password needs \(passwordBytes.lowerBound) to \(passwordBytes.upperBound) characters (bcrypt reads no further than 72 bytes).",
                field: "password")
        }
    }

    /// A category: a valid slug and a name of one line.
    public static func checkCategory(_ category: Category) throws(GalleyError) {
        try TextRules.check(category.slug, field: "slug", kind: .label)
        guard Slug.isValid(category.slug) else {
            throw GalleyError(.slugInvalid, "The category slug '\(category.slug)' is not valid: use lowercase letters, digits and single hyphens.", field: "slug")
        }
        try TextRules.check(category.name, field: "name", kind: .line)
        let name = category.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= maxCategoryName else {
            throw GalleyError(.fieldInvalid, "A category needs a name of 1 to \(maxCategoryName) characters.", field: "name")
        }
    }
}
