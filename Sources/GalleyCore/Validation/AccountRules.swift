import Foundation

/// The rules for user names, passwords and categories, the same for the HTTP API, the
/// `galley-server` commands and the client, so that they cannot drift apart.
public enum AccountRules {
    public static let maxUserName = 64
    public static let passwordBytes = 10...72
    public static let maxCategoryName = 100

    /// Names the server itself acts under (in the audit log, in notes): no person may take one.
    public static let reservedNames: Set<String> = ["system", "scheduler", "galley-server", "galley"]

    /// The one form a user name is stored, compared and looked up in: Unicode NFC. Two spellings
    /// of "rené" (é, or e and a combining accent) are one name, never two accounts.
    public static func canonicalUserName(_ name: String) -> String { name.precomposedStringWithCanonicalMapping }

    /// User names appear in URLs, in front matter, as authors and as keys of the login throttle:
    /// 1 to 64 letters, digits, dots, hyphens or underscores, in their canonical form.
    public static func checkUserName(_ name: String, field: String = "name") throws(GalleyError) {
        try TextRules.check(name, field: field, kind: .label)
        let ok = !name.isEmpty && name.unicodeScalars.count <= maxUserName
            && name.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || "._-".unicodeScalars.contains($0) }
        guard ok else {
            throw GalleyError(.fieldInvalid, "A user name is 1 to \(maxUserName) letters, digits, dots, hyphens or underscores; '\(name)' is not.", field: field)
        }
        // "." and ".." are path segments every HTTP client rewrites away: /v1/users/../disable
        // would never reach the user.
        guard !name.allSatisfy({ $0 == "." }) else {
            throw GalleyError(.fieldInvalid, "A user name needs a letter, digit, hyphen or underscore; '\(name)' is only dots.", field: field)
        }
        guard name.unicodeScalars.elementsEqual(canonicalUserName(name).unicodeScalars) else {
            throw GalleyError(.fieldInvalid, "The user name '\(name)' is not in Unicode's composed form (NFC); type it again, or let the client compose it.", field: field)
        }
    }

    /// A name for a new account: valid, and not one the server acts under.
    public static func checkNewUserName(_ name: String) throws(GalleyError) {
        try checkUserName(name)
        guard !reservedNames.contains(name.lowercased()) else {
            throw GalleyError(.fieldInvalid, "'\(name)' is a name Galley itself acts under; choose another.", field: "name")
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
                "A password needs at least \(passwordBytes.lowerBound) characters and at most \(passwordBytes.upperBound) bytes of UTF-8 (bcrypt reads no further); this one has \(password.count) characters in \(password.utf8.count) bytes.",
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
