/// Refusing fields a type does not know. A misspelt field (`titel`, `bdy`) would otherwise be
/// dropped while the change is answered "applied", and the words in it lost.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension Decoder {
    /// Throws a decoding error naming the first key of this JSON object that `known` lacks.
    public func refuseUnknownKeys<Key: CodingKey & CaseIterable>(_ known: Key.Type) throws {
        try refuseUnknownKeys(names: Set(Key.allCases.map(\.stringValue)))
    }

    /// Throws a decoding error naming the first key of this JSON object not among `names`.
    public func refuseUnknownKeys(names: Set<String>) throws {
        let container = try self.container(keyedBy: AnyCodingKey.self)
        guard let unknown = container.allKeys.first(where: { !names.contains($0.stringValue) }) else { return }
        throw DecodingError.dataCorrupted(.init(
            codingPath: codingPath + [unknown],
            debugDescription: "there is no field '\(unknown.stringValue)' here; the fields are \(names.sorted().joined(separator: ", "))"))
    }
}
