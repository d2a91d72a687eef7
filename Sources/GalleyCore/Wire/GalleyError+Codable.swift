extension GalleyError: Codable {
    private enum Keys: String, CodingKey { case type, status, code, title, detail, field, message }

    /// An RFC 9457 problem document: `type`, `status`, `code`, `title`, `detail`, `field`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Keys.self)
        try c.encode("about:blank", forKey: .type)
        try c.encode(code.status, forKey: .status)
        try c.encode(code.rawValue, forKey: .code)
        try c.encode(title, forKey: .title)
        try c.encode(message, forKey: .detail)
        try c.encodeIfPresent(field, forKey: .field)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Keys.self)
        let raw = try c.decode(String.self, forKey: .code)
        let status = try c.decodeIfPresent(Int.self, forKey: .status)
        // Push results stored before the problem shape carried `message` instead of `detail`.
        let message = try c.decodeIfPresent(String.self, forKey: .detail) ?? c.decode(String.self, forKey: .message)
        self.init(
            Code(rawValue: raw) ?? .unrecognized(status: status ?? 400), message,
            field: try c.decodeIfPresent(String.self, forKey: .field))
    }
}
