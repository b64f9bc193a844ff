// TemplateDate: the broken-down time `strftime_now(fmt)` formats — the local clock by default, or a
// fixed date (tests, reproducible prompts). Formatting covers the strftime directives chat
// templates use, in the C locale.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A calendar date and time for `strftime_now`.
public struct TemplateDate: Sendable, Hashable {
    public var year, month, day, hour, minute, second: Int

    /// A fixed date and time.
    public init(year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
    }

    /// The local date and time now.
    public static func current() -> TemplateDate {
        var t = time(nil)
        var tm = tm()
        localtime_r(&t, &tm)
        return TemplateDate(year: Int(tm.tm_year) + 1900, month: Int(tm.tm_mon) + 1, day: Int(tm.tm_mday),
                            hour: Int(tm.tm_hour), minute: Int(tm.tm_min), second: Int(tm.tm_sec))
    }

    static let months = ["January", "February", "March", "April", "May", "June", "July", "August",
                         "September", "October", "November", "December"]
    static let weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    /// Days since 1970-01-01 (proleptic Gregorian).
    var daysSinceEpoch: Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Monday = 0.
    var weekday: Int { ((daysSinceEpoch % 7) + 7 + 3) % 7 }

    var dayOfYear: Int {
        TemplateDate(year: year, month: month, day: day, hour: 0, minute: 0, second: 0).daysSinceEpoch
            - TemplateDate(year: year, month: 1, day: 1, hour: 0, minute: 0, second: 0).daysSinceEpoch + 1
    }

    func format(_ f: String) -> String {
        func pad(_ v: Int, _ w: Int = 2) -> String { let s = String(v); return String(repeating: "0", count: max(0, w - s.count)) + s }
        var out = ""
        var it = f.makeIterator()
        while let c = it.next() {
            guard c == "%", let d = it.next() else { out.append(c); continue }
            switch d {
            case "Y": out += String(year)
            case "y": out += pad(year % 100)
            case "m": out += pad(month)
            case "d": out += pad(day)
            case "e": out += (day < 10 ? " " : "") + String(day)
            case "-": if let e = it.next() { out += e == "d" ? String(day) : e == "m" ? String(month) : e == "H" ? String(hour) : "%-\(e)" }
            case "H": out += pad(hour)
            case "I": out += pad(hour % 12 == 0 ? 12 : hour % 12)
            case "M": out += pad(minute)
            case "S": out += pad(second)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "B": out += Self.months[month - 1]
            case "b", "h": out += String(Self.months[month - 1].prefix(3))
            case "A": out += Self.weekdays[weekday]
            case "a": out += String(Self.weekdays[weekday].prefix(3))
            case "j": out += pad(dayOfYear, 3)
            case "F": out += "\(year)-\(pad(month))-\(pad(day))"
            case "T": out += "\(pad(hour)):\(pad(minute)):\(pad(second))"
            case "%": out += "%"
            default: out += "%\(d)"
            }
        }
        return out
    }
}
