import ArgumentParser

@main
struct GalleyBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "galley-bench",
        abstract: "Benchmarks for Galley, measured side by side with their references. Build with -c release.",
        subcommands: [MergeBenchmark.self, MergeQualityBenchmark.self, InitialSyncBenchmark.self, IncrementalSyncBenchmark.self, PushLoadBenchmark.self, StoreApplyBenchmark.self, SearchBenchmark.self, MarkdownBenchmark.self, DeskBenchmark.self, CLIBenchmark.self])
}
