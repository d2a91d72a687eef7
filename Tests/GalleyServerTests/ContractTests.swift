import Foundation
import GalleyTestSupport
import GalleyCore
import GalleyStore
import Hummingbird
import HummingbirdTesting
import Testing
import Yams

@testable import GalleyServer

@Suite struct ContractTests {
    static let spec = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Schemas/openapi.yaml")

    @Test func theOpenAPIFileNamesEveryRouteTheRouterHasAndNoOther() async throws {
        let text = try String(contentsOf: Self.spec, encoding: .utf8)
        let doc = try #require(try Yams.load(yaml: text) as? [String: Any])
        #expect(doc["openapi"] as? String == "3.1.0")
        let paths = try #require(doc["paths"] as? [String: Any])
        var documented: Set<String> = []
        for (path, ops) in paths {
            for method in (ops as? [String: Any] ?? [:]).keys where ["get", "post", "put", "delete", "patch"].contains(method) {
                documented.insert("\(method) \(path)")
            }
        }
        let fixture = try await ServerFixture()
        let routed = Set(try routeTable(fixture.environment).map { "\($0.method) \($0.path)" })
        #expect(routed.subtracting(documented).isEmpty, "routes missing from openapi.yaml: \(routed.subtracting(documented).sorted())")
        #expect(documented.subtracting(routed).isEmpty, "documented but not routed: \(documented.subtracting(routed).sorted())")
    }

    @Test func theContractListsTheErrorCatalogueAndPushResultsCarryTheSameProblem() throws {
        let doc = try #require(try Yams.load(yaml: String(contentsOf: Self.spec, encoding: .utf8)) as? [String: Any])
        let schemas = try #require((doc["components"] as? [String: Any])?["schemas"] as? [String: Any])
        let problem = try #require(schemas["Problem"] as? [String: Any])
        let code = try #require((problem["properties"] as? [String: Any])?["code"] as? [String: Any])
        let documented = try #require(code["enum"] as? [String])
        #expect(documented == GalleyError.Code.allCases.map(\.rawValue), "Problem.code in openapi.yaml is not the catalogue")
        let pushError = try #require(((schemas["PushResult"] as? [String: Any])?["properties"] as? [String: Any])?["error"] as? [String: Any])
        #expect(pushError["$ref"] as? String == "#/components/schemas/Problem")
    }

    @Test(arguments: Backend.all) func theServerServesTheContract(backend: Backend) async throws {
        let fixture = try await ServerFixture(backend)
        let file = try Data(contentsOf: Self.spec)
        try await fixture.app().test(.router) { client in
            let reply = try await client.call(.get, "/openapi.yaml")
            #expect(reply.status == .ok)
            #expect(reply.body == file)
        }
    }
}
