// How much of a mapped GGUF file is resident in this process: the `Rss` of its mapping in
// /proc/self/smaps (Linux). This is what proves that opening a model maps it instead of reading it.

#if canImport(Glibc)
import Glibc
#endif

extension GGUFFile {
    /// Bytes of this file's mapping that are resident in this process's memory (Linux; nil
    /// elsewhere, or for files parsed from memory).
    public func residentByteCount() -> Int? {
        #if os(Linux)
        guard path != nil, let text = Self.readProcFile("/proc/self/smaps") else { return nil }
        let start = UInt(bitPattern: mappingStart)
        var inMapping = false
        for line in text.split(separator: "\n") {
            if let dash = line.firstIndex(of: "-"), let first = line.first, first.isHexDigit,
               let lo = UInt(line[..<dash], radix: 16) {
                inMapping = lo == start
            } else if inMapping, line.hasPrefix("Rss:") {
                let kb = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
                return kb.map { $0 * 1024 }
            }
        }
        return nil
        #else
        return nil
        #endif
    }

    #if os(Linux)
    static func readProcFile(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }
    #endif
}
