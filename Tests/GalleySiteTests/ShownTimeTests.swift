import Foundation
import Testing

@testable import GalleySite

/// The format style shows every time as the ICU pattern "MMM dd, yyyy H:mm" does, in the zone it
/// is given: seeded random times over four centuries, in zones east and west and across changes
/// of the clocks.
@Suite struct ShownTimeTests {
    @Test(arguments: ["UTC", "Europe/Minsk", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"])
    func itShowsWhatTheICUPatternShows(zone: String) throws {
        let timeZone = try #require(TimeZone(identifier: zone))
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = timeZone
        formatter.dateFormat = "MMM dd, yyyy H:mm"
        let shown = ShownTime(timeZone: timeZone)
        let seed: UInt64 = 20261203
        var state = seed
        for _ in 0..<500 {
            // SplitMix64, inline: this target has no test support module.
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            // 1900 to 2300, to the minute.
            let date = Date(timeIntervalSince1970: (Double(z % 210_384_000) - 36_816_000) * 60)
            #expect(shown(date) == formatter.string(from: date), "seed \(seed), \(zone), \(date)")
        }
    }
}
