import Logging
import Foundation

extension Logger {
    /// The logger of servers and publishers under test: warnings and errors only. A request line
    /// per request buried the one line that names a failing test deep in CI's output (CI shows
    /// the tail); `GALLEY_TEST_LOG=info` (or any level) brings them back when a test needs them.
    public static var test: Logger {
        var logger = Logger(label: "test")
        let level = ProcessInfo.processInfo.environment["GALLEY_TEST_LOG"].flatMap(Logger.Level.init(rawValue:))
        logger.logLevel = level ?? .warning
        return logger
    }
}
