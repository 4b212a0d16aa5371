import Foundation
import LibPQ
import Testing

/// Where the PostgreSQL suites find their database. `make test` always sets `PG_TEST_CONNINFO`; a plain
/// `swift test` without it skips them (the trait's comment says why).
enum TestDatabase {
    static let conninfo: String? = ProcessInfo.processInfo.environment["PG_TEST_CONNINFO"]

    static var isConfigured: Bool {
        conninfo?.isEmpty == false
    }

    /// A name unique to this test run, for tables and schemas so tests can run in parallel.
    static func uniqueName(_ prefix: String) -> String {
        let random = UInt64.random(in: 0...UInt64.max)
        return "\(prefix)_\(String(random, radix: 36))"
    }

    static func connect() throws -> PGConnection {
        try PGConnection(conninfo: conninfo!)
    }
}

extension Trait where Self == ConditionTrait {
    /// Skips a suite when no test database is configured, with a visible reason.
    static var requiresPostgreSQL: Self {
        .enabled(
            if: TestDatabase.isConfigured,
            "PG_TEST_CONNINFO is not set: start one with scripts/pg.sh and set it (make test does)"
        )
    }
}
