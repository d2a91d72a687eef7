import Foundation
import Testing

@testable import GalleyCore

@Suite struct WireFormatTests {
    static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Schemas/change.schema.json")

    /// Every change the convergence simulation makes round-trips through JSON and validates
    /// against Schemas/change.schema.json (checked by Python's `jsonschema`, an independent
    /// implementation of JSON Schema 2020-12).
    @Test func simulatedChangesRoundTripAndMatchTheSchema() throws {
        var changes: [Change] = []
        for seed in UInt64(0)..<30 {
            var sim = ConvergenceSimulation(seed: seed)
            try sim.run(steps: 60)
            changes += sim.replicas.flatMap(\.made)
        }
        #expect(changes.contains { $0.command != nil })
        #expect(changes.contains { $0.delete })
        #expect(changes.contains { !$0.resolves.isEmpty })
        #expect(changes.contains { $0.note != nil })
        #expect(changes.contains { $0.baseRevision == nil })

        let encoder = GalleyJSON.encoder()
        let decoder = GalleyJSON.decoder()
        var documents: [String] = []
        for change in changes {
            let data = try encoder.encode(change)
            let back = try decoder.decode(Change.self, from: data)
            #expect(back == change, "change \(change.id) does not survive JSON")
            documents.append(String(decoding: data, as: UTF8.self))
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("changes-\(UUID()).json")
        try Data(("[" + documents.joined(separator: ",") + "]").utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let (status, output) = try Self.python("""
            import json, sys
            import jsonschema
            schema = json.load(open(sys.argv[1]))
            validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
            bad = 0
            for i, doc in enumerate(json.load(open(sys.argv[2]))):
                for error in validator.iter_errors(doc):
                    bad += 1
                    if bad < 10: print(f"change {i}: {error.message} at {list(error.absolute_path)}")
            print(f"{bad} errors")
            sys.exit(1 if bad else 0)
            """, Self.schema.path, file.path)
        #expect(status == 0, "\(output)")
    }

    @Test func theSchemaRefusesWhatTheDecoderRefuses() throws {
        // A few hand-made bad changes: both the schema and the decoder must say no.
        let good = #"{"id":"6f1c1a57-3b52-4f0e-9d9c-0b5b7f0d1e11","articleId":"0193a5f2-7c4e-7a10-9b3d-5e6f70812345","author":"anna","replicaId":"6f1c1a57-3b52-4f0e-9d9c-0b5b7f0d1e12","createdAt":"2026-11-29T09:11:37.123Z","set":{"title":"T"}}"#
        let bad = [
            good.replacingOccurrences(of: "0193a5f2-7c4e", with: "zz"),
            good.replacingOccurrences(of: "2026-11-29T09:11:37.123Z", with: "yesterday"),
            good.replacingOccurrences(of: #""set":{"title":"T"}"#, with: #""command":{"kind":"publish_now"}"#),
            good.replacingOccurrences(of: #","set":{"title":"T"}"#, with: #","baseRevision":"abc""#),
        ]
        _ = try GalleyJSON.decoder().decode(Change.self, from: Data(good.utf8))
        for doc in bad {
            #expect(throws: DecodingError.self) { try GalleyJSON.decoder().decode(Change.self, from: Data(doc.utf8)) }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).json")
        try Data(("[" + ([good] + bad).joined(separator: ",") + "]").utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let (_, output) = try Self.python("""
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
            print("".join("ok" if v.is_valid(d) else "no" for d in json.load(open(sys.argv[2]))))
            """, Self.schema.path, file.path)
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "ok" + String(repeating: "no", count: bad.count))
    }

    static func python(_ script: String, _ arguments: String...) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        if output.contains("No module named 'jsonschema'") {
            Issue.record("Python's jsonschema is missing: pip install jsonschema (.ci/run installs it)")
        }
        return (process.terminationStatus, output)
    }
}

@Suite struct ErrorWireTests {
    /// A refused request and a refused change carry one problem shape, and it comes back as the
    /// same typed error, code, message and field.
    @Test func everyCodeRoundTripsAsAProblemDocumentWithItsStatus() throws {
        for code in GalleyError.Code.allCases {
            let error = GalleyError(code, "what to do about \(code)", field: code == .textInvalid ? "note.text" : nil)
            let data = try GalleyJSON.encoder().encode(error)
            let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(json["code"] as? String == code.rawValue)
            #expect(json["status"] as? Int == code.status)
            #expect(json["detail"] as? String == error.message)
            #expect(json["type"] as? String == "about:blank")
            #expect((400..<600).contains(code.status))
            #expect(try GalleyJSON.decoder().decode(GalleyError.self, from: data) == error)
        }
        let result = PushResult(changeID: ChangeID(), status: .rejected, headRevision: nil, conflicts: [], error: GalleyError(.slugTaken, "taken", field: "slug"))
        let back = try GalleyJSON.decoder().decode(PushResult.self, from: GalleyJSON.encoder().encode(result))
        #expect(back.error == result.error)
    }

    @Test func olderAndUnknownProblemsStillDecodeToATypedError() throws {
        // Push results the archive stored before the problem shape carried `message`.
        let stored = try GalleyJSON.decoder().decode(GalleyError.self, from: Data(#"{"code":"not_author","message":"Not yours.","field":"title"}"#.utf8))
        #expect(stored == GalleyError(.notAuthor, "Not yours.", field: "title"))
        // A code from a newer server keeps its message, and its status says whose fault it was.
        let newer = try GalleyJSON.decoder().decode(GalleyError.self, from: Data(#"{"code":"quota_exceeded","status":409,"detail":"Over quota."}"#.utf8))
        #expect(newer.code == .invalidTransition && newer.message == "Over quota.")
        let broken = try GalleyJSON.decoder().decode(GalleyError.self, from: Data(#"{"code":"teapot","status":503,"detail":"Later."}"#.utf8))
        #expect(broken.code == .storageUnavailable)
    }
}
