import Foundation

/// Timing and reporting shared by the scenarios: medians and spreads of repeated runs, the
/// machine they ran on, Markdown tables and JSON.
enum Bench {
    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Progress on standard error, so that stdout stays the table (or JSON).
    static func note(_ message: String) {
        FileHandle.standardError.write(Data("· \(message)\n".utf8))
    }

    /// Runs `body` `runs` times (after one warm-up) and returns the durations in milliseconds.
    static func measure(runs: Int, warmup: Bool = true, _ body: () throws -> Void) rethrows -> [Double] {
        if warmup { try body() }
        var out: [Double] = []
        for _ in 0..<runs {
            let start = now()
            try body()
            out.append(Double(now() - start) / 1_000_000)
        }
        return out
    }

    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return .nan }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    static func percentile(_ xs: [Double], _ p: Double) -> Double {
        let s = xs.sorted()
        guard !s.isEmpty else { return .nan }
        return s[min(s.count - 1, Int((Double(s.count - 1) * p).rounded()))]
    }

    /// "median (min–max)" in milliseconds.
    static func summary(_ xs: [Double]) -> String {
        String(format: "%.3f ms (%.3f–%.3f)", median(xs), xs.min() ?? .nan, xs.max() ?? .nan)
    }

    static var machine: String {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / Double(1 << 30)
        #if DEBUG
        let build = "debug build (numbers are not representative; use -c release)"
        #else
        let build = "release build"
        #endif
        return String(format: "%d cores, %.0f GiB, %@", cores, memory, build)
    }

    static func table(_ header: [String], _ rows: [[String]]) -> String {
        var out = "| " + header.joined(separator: " | ") + " |\n"
        out += "|" + header.map { _ in "---" }.joined(separator: "|") + "|\n"
        for row in rows { out += "| " + row.joined(separator: " | ") + " |\n" }
        return out
    }

    static func json(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .prettyPrinted]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// Runs a program and returns its exit status. Uses posix_spawn directly: Foundation's
    /// Process closes every possible descriptor first, which here costs ~50 ms per start and
    /// would swamp what is being measured.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], stdout: FileHandle? = nil) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let stdout {
            posix_spawn_file_actions_adddup2(&actions, stdout.fileDescriptor, 1)
        } else {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        guard rc == 0 else { throw CocoaError(.executableLoad, userInfo: [NSFilePathErrorKey: executable]) }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        return (status >> 8) & 0xFF
    }

    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let path = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// The shared corpora folder, if present (`../shared/corpora` from the package root).
    static func corpus(_ name: String) -> URL? {
        let candidates = [
            URL(fileURLWithPath: FileManager.default.currentDirectoryPath).deletingLastPathComponent().appendingPathComponent("shared/corpora/\(name)"),
            URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("shared/corpora/\(name)"),
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0.path) }
    }
}

/// A small seeded generator, so generated data is the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
