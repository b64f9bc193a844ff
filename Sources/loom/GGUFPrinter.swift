// GGUFPrinter: text rendering of a GGUF file for `loom gguf` — aligned columns, long strings and
// arrays summarized (first elements + count) unless `full` is set.

import LoomGGUF
import LoomTensor

struct GGUFPrinter {
    var full: Bool
    var arrayPreview = 6
    var stringPreview = 72

    func header(_ g: GGUFFile) -> String {
        let name = g.path.map { String($0.split(separator: "/").last ?? "") } ?? "<memory>"
        return "\(name): GGUF v\(g.version), \(Self.size(g.fileSize)), \(g.metadata.count) metadata entries, "
            + "\(g.tensors.count) tensors (\(Self.size(g.tensorDataSize)) of data), "
            + "alignment \(g.alignment), data section at offset \(g.dataOffset)"
    }

    func metadataTable(_ m: GGUFMetadata) -> String {
        let rows = m.map { [$0.key, $0.value.typeDescription, render($0.value)] }
        return "metadata\n" + Self.table(rows, rightAligned: [])
    }

    func tensorTable(_ g: GGUFFile) -> String {
        var rows = [["#", "name", "type", "shape", "offset", "bytes"]]
        for (i, t) in g.tensors.enumerated() {
            rows.append(["\(i)", t.name, t.type.name, t.shape.map(String.init).joined(separator: " × "),
                         "\(g.dataOffset + t.offset)", "\(t.byteCount)"])
        }
        return "tensors (shape in ggml order, row length first; offset from the start of the file)\n"
            + Self.table(rows, rightAligned: [0, 4, 5])
    }

    func render(_ v: GGUFValue) -> String {
        switch v {
        case let .uint8(x): return "\(x)"
        case let .int8(x): return "\(x)"
        case let .uint16(x): return "\(x)"
        case let .int16(x): return "\(x)"
        case let .uint32(x): return "\(x)"
        case let .int32(x): return "\(x)"
        case let .uint64(x): return "\(x)"
        case let .int64(x): return "\(x)"
        case let .float32(x): return "\(x)"
        case let .float64(x): return "\(x)"
        case let .bool(x): return "\(x)"
        case let .string(s): return quote(s)
        case let .array(a):
            let items = a.values
            let shown = full ? items : Array(items.prefix(arrayPreview))
            var text = "[" + shown.map(render).joined(separator: ", ")
            if shown.count < items.count { text += ", … \(items.count - shown.count) more" }
            return text + "]"
        }
    }

    func quote(_ s: String) -> String {
        var escaped = ""
        for c in s.unicodeScalars {
            switch c {
            case "\n": escaped += "\\n"
            case "\t": escaped += "\\t"
            case "\r": escaped += "\\r"
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            default:
                if c.value < 0x20 { escaped += "\\u{\(String(c.value, radix: 16))}" } else { escaped.unicodeScalars.append(c) }
            }
        }
        if !full, escaped.count > stringPreview {
            return "\"" + escaped.prefix(stringPreview) + "\"… (\(s.utf8.count) bytes)"
        }
        return "\"" + escaped + "\""
    }

    static func size(_ bytes: Int) -> String {
        let units = ["B", "KB", "MB", "GB", "TB"]
        var v = Double(bytes)
        var u = 0
        while v >= 1000, u < units.count - 1 { v /= 1000; u += 1 }
        return u == 0 ? "\(bytes) B" : String(format1: v) + " " + units[u]
    }

    static func table(_ rows: [[String]], rightAligned: Set<Int> = [], separator: String = "  ", indent: Int = 2) -> String {
        guard let columns = rows.map(\.count).max() else { return "" }
        var widths = [Int](repeating: 0, count: columns)
        for r in rows { for (i, c) in r.enumerated() where i < columns - 1 { widths[i] = max(widths[i], c.count) } }
        return rows.map { r in
            r.enumerated().map { i, c in
                let pad = String(repeating: " ", count: max(0, widths[i] - c.count))
                return rightAligned.contains(i) ? pad + c : (i == r.count - 1 ? c : c + pad)
            }.joined(separator: separator)
        }.map { String(repeating: " ", count: indent) + $0 }.joined(separator: "\n")
    }
}

extension String {
    /// `v` with one decimal, without Foundation.
    init(format1 v: Double) {
        let tenths = Int((v * 10).rounded())
        self = "\(tenths / 10).\(tenths % 10)"
    }
}
