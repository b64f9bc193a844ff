// RFC 3339 timestamps as Go's RFC3339Nano writes them (§1.4): fractional seconds with trailing
// zeros trimmed; `created_at` in UTC ("Z"), `expires_at` in local time with its offset.

#if canImport(Glibc)
import Glibc
#endif

/// Ollama's timestamp strings.
public enum Timestamp {
    /// Now, in UTC.
    public static func now() -> String { format(realtimeNanoseconds(), utc: true) }

    /// Nanoseconds since the Unix epoch (CLOCK_REALTIME).
    public static func realtimeNanoseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// `ns` since the epoch as RFC3339Nano, in UTC or local time.
    public static func format(_ ns: Int64, utc: Bool) -> String {
        var seconds = time_t(ns / 1_000_000_000)
        let frac = Int(ns % 1_000_000_000)
        var parts = tm()
        if utc { gmtime_r(&seconds, &parts) } else { localtime_r(&seconds, &parts) }
        func pad(_ v: Int32, _ n: Int) -> String { String(repeating: "0", count: max(0, n - String(v).count)) + String(v) }
        var out = "\(pad(parts.tm_year + 1900, 4))-\(pad(parts.tm_mon + 1, 2))-\(pad(parts.tm_mday, 2))T"
            + "\(pad(parts.tm_hour, 2)):\(pad(parts.tm_min, 2)):\(pad(parts.tm_sec, 2))"
        if frac > 0 {
            var digits = String(frac)
            digits = String(repeating: "0", count: 9 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            out += "." + digits
        }
        if utc { return out + "Z" }
        let offset = parts.tm_gmtoff
        if offset == 0 { return out + "Z" }
        let sign = offset < 0 ? "-" : "+", a = Int32(abs(offset))
        return out + "\(sign)\(pad(a / 3600, 2)):\(pad((a % 3600) / 60, 2))"
    }
}
