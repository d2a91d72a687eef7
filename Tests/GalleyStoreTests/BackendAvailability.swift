import Foundation
import GalleyStore
import GalleyTestSupport
import Testing

@Suite struct BackendAvailability {
    /// The PostgreSQL half of the backend tests runs only where PostgreSQL does: this test's skip
    /// is where a run without it says so.
    @Test(.enabled(if: TestPostgres.available, "\(TestPostgres.missing)"))
    func postgresIsThere() async throws {
        let archive = try await Backend.postgres.open()
        #expect(archive.backend == "postgresql")
        #expect(try await archive.epoch().count == 36)
        #expect(try await archive.latestSequence() == 0)
    }
}
