import Foundation

/// How the site and the desk show a time: "May 08, 2017 9:22" in one time zone. A format style,
/// not a `DateFormatter`: a formatter made per call built an ICU formatter each time, a quarter of
/// the desk queue's time in `perf` (50 lines, 50 formatters); the style's is made once and cached.
package struct ShownTime: Sendable {
    let style: Date.VerbatimFormatStyle

    package init(timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        style = Date.VerbatimFormatStyle(
            format: "\(month: .abbreviated) \(day: .twoDigits), \(year: .padded(4)) \(hour: .defaultDigits(clock: .twentyFourHour, hourCycle: .zeroBased)):\(minute: .twoDigits)",
            locale: Locale(identifier: "en_US_POSIX"), timeZone: timeZone, calendar: calendar)
    }

    package func callAsFunction(_ date: Date) -> String { style.format(date) }
}
