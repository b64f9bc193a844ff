// Where the tokenizer tests find their references, and how they read and report them.
//
// llama.cpp's vocab tests (Scripts/fetch-llama-cpp-data.sh puts them in .cache/llama-cpp/models):
//   ggml-vocab-<name>.gguf      a vocab-only GGUF (tokenizer.ggml.* metadata, no tensors)
//   ggml-vocab-<name>.gguf.inp  test strings, each followed by "\n__ggml_vocab_test__\n"
//   ggml-vocab-<name>.gguf.out  one line per string: the ids HF transformers gives with
//                               add_special_tokens=False, " id id id" (leading space)
// read exactly as llama.cpp's tests/test-tokenizer-0.cpp does: the .inp bytes are split on the
// separator (a final piece without separator is kept; nothing after the last separator is not a case),
// each .out line is trimmed of isspace characters and split on single spaces.
//
// `make test` exports LOOM_REQUIRE_MODELS=1: then the tests run, and fail rather than skip, when the
// fetched files are missing. A bare `swift test` skips them when the files are absent.

import Foundation
import LoomGGUF
import LoomRuntime
import LoomTokenizers

enum TokenizerFixtures {
    /// Repo root: three levels up from this file (Tests/LoomTokenizersTests/<file>).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var requireModels: Bool { ProcessInfo.processInfo.environment["LOOM_REQUIRE_MODELS"] == "1" }

    /// .cache/llama-cpp/models, filled by Scripts/fetch-llama-cpp-data.sh.
    static let llamaCppModels = root + "/.cache/llama-cpp/models"

    /// .inp/.out made by libllama for the vocab files that ship without (Scripts/make_vocab_goldens.py),
    /// and the special-token goldens of every vocab file.
    static let measuredVocabs = root + "/Fixtures/tokenizers/llama-cpp-vocab"

    /// The vocab-only GGUF of llama.cpp's test vocabulary `name` ("llama-spm", "gpt-2", …).
    static func vocabPath(_ name: String) -> String { llamaCppModels + "/ggml-vocab-\(name).gguf" }

    /// True when the llama.cpp vocab files are there, or when they are required (then missing is a failure).
    static var hasLlamaCppVocabs: Bool {
        FileManager.default.fileExists(atPath: vocabPath("gpt-2") + ".inp") || requireModels
    }

    /// The default model fetched by Scripts/fetch-models.sh.
    static let smolLM2 = root + "/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"

    /// True when the model is there, or when it is required (then missing is a failure).
    static var hasSmolLM2: Bool { FileManager.default.fileExists(atPath: smolLM2) || requireModels }

    /// Gemma 3 270M (Scripts/fetch-models.sh).
    static let gemma3 = root + "/.cache/models/gemma-3-270m-Q4_K_M.gguf"

    /// True when the model is there, or when it is required (then missing is a failure).
    static var hasGemma3: Bool { FileManager.default.fileExists(atPath: gemma3) || requireModels }

    /// Fixtures/tokenizers/gemma3-goldens.json (Scripts/make_gemma3_tokenizer_goldens.py).
    static let gemma3Goldens = root + "/Fixtures/tokenizers/gemma3-goldens.json"

    /// Fixtures/tokenizers/smollm2-goldens.json (Scripts/make_tokenizer_goldens.py).
    static let smolLM2Goldens = root + "/Fixtures/tokenizers/smollm2-goldens.json"

    /// GGUF file → Vocabulary → tokenizer, as the runtime builds it.
    static func tokenizer(path: String) throws -> any Tokenizer {
        guard FileManager.default.fileExists(atPath: path) else {
            throw TokenizerFixtureError("missing \(path); run Scripts/fetch-llama-cpp-data.sh and Scripts/fetch-models.sh")
        }
        let file = try GGUFFile(path: path)
        let vocabulary = try Vocabulary(metadata: file.metadata)
        return try Tokenizers.make(vocabulary)
    }

    /// The cases of llama.cpp's vocab test `name`, read as test-tokenizer-0.cpp reads them.
    static func vocabCases(_ name: String, base: String? = nil) throws -> [VocabCase] {
        let base = base ?? vocabPath(name)
        guard let inp = FileManager.default.contents(atPath: base + ".inp"),
              let out = FileManager.default.contents(atPath: base + ".out") else {
            throw TokenizerFixtureError("missing \(base).inp/.out; run Scripts/fetch-llama-cpp-data.sh")
        }
        let inputs = splitInputs([UInt8](inp))
        let lines = splitLines([UInt8](out))
        guard inputs.count == lines.count else {
            throw TokenizerFixtureError("\(name): \(inputs.count) inputs but \(lines.count) output lines")
        }
        return try zip(inputs, lines).enumerated().map { index, pair in
            let text = String(decoding: pair.0, as: UTF8.self)
            guard Array(text.utf8) == pair.0 else {
                throw TokenizerFixtureError("\(name) case \(index): input is not valid UTF-8")
            }
            let fields = String(decoding: strip(pair.1), as: UTF8.self)
                .split(separator: " ", omittingEmptySubsequences: false)
            var ids: [Int32] = []
            if !(fields.count == 1 && fields[0].isEmpty) {
                for field in fields {
                    guard let id = Int32(field) else {
                        throw TokenizerFixtureError("\(name) case \(index): bad id '\(field)' in .out")
                    }
                    ids.append(id)
                }
            }
            return VocabCase(index: index, text: text, expected: ids)
        }
    }

    private static let separator = Array("\n__ggml_vocab_test__\n".utf8)

    /// test-tokenizer-0.cpp's loop: pieces between separators; a tail without separator is a case.
    static func splitInputs(_ raw: [UInt8]) -> [[UInt8]] {
        var pieces: [[UInt8]] = []
        var start = 0, i = 0
        while i + separator.count <= raw.count {
            if raw[i] == separator[0] && raw[i..<(i + separator.count)].elementsEqual(separator) {
                pieces.append(Array(raw[start..<i]))
                i += separator.count
                start = i
            } else {
                i += 1
            }
        }
        if start < raw.count { pieces.append(Array(raw[start...])) }
        return pieces
    }

    /// std::getline semantics: "\n"-terminated lines; an unterminated last line counts, "" after the
    /// final "\n" does not.
    static func splitLines(_ raw: [UInt8]) -> [[UInt8]] {
        var lines = raw.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map(Array.init)
        if raw.last == UInt8(ascii: "\n") || raw.isEmpty { lines.removeLast() }
        return lines
    }

    /// common.cpp's string_strip: drop C isspace bytes (space, \t, \n, \v, \f, \r) at both ends.
    static func strip(_ bytes: [UInt8]) -> ArraySlice<UInt8> {
        func space(_ b: UInt8) -> Bool { b == 0x20 || (0x09...0x0D).contains(b) }
        var s = bytes[...]
        while let f = s.first, space(f) { s = s.dropFirst() }
        while let l = s.last, space(l) { s = s.dropLast() }
        return s
    }

    /// `text` as a Swift literal (escaped), cut to `limit` characters.
    static func escaped(_ text: String, limit: Int = 80) -> String {
        var body = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": body += "\\n"
            case "\t": body += "\\t"
            case "\r": body += "\\r"
            case "\"": body += "\\\""
            case "\\": body += "\\\\"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.properties.generalCategory == .format {
                    body += "\\u{\(String(scalar.value, radix: 16))}"
                } else {
                    body.unicodeScalars.append(scalar)
                }
            }
        }
        if body.count > limit { body = String(body.prefix(limit)) + "…(\(text.unicodeScalars.count) scalars)" }
        return "\"" + body + "\""
    }

    /// Where two id lists first differ, with a little context from both.
    static func idDiff(expected: [Int32], actual: [Int32]) -> String {
        let first = zip(expected, actual).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(expected.count, actual.count)
        let from = max(0, first - 2)
        func window(_ ids: [Int32]) -> String {
            let slice = ids[min(from, ids.count)..<min(first + 6, ids.count)].map(String.init).joined(separator: " ")
            return (from > 0 ? "… " : "") + "[" + slice + "]" + (first + 6 < ids.count ? " …" : "")
        }
        return "first difference at index \(first) (expected \(expected.count) ids, got \(actual.count)): "
            + "expected \(window(expected)), actual \(window(actual))"
    }

    /// Full id lists for short cases, so a failure can be read without the files.
    static func ids(_ ids: [Int32], limit: Int = 40) -> String {
        let shown = ids.prefix(limit).map(String.init).joined(separator: " ")
        return "[" + shown + (ids.count > limit ? " … (\(ids.count) ids)" : "") + "]"
    }
}

/// Fixtures/tokenizers/llama-cpp-vocab/special-<name>.json (Scripts/make_vocab_goldens.py).
struct SpecialGoldens: Decodable {
    struct Case: Decodable {
        let text: String
        /// libllama's ids with add_special false, parse_special false …
        let plain: [Int32]
        /// … and parse_special true.
        let special: [Int32]
        /// Hex of the concatenated llama_token_to_piece(special: true) bytes of `plain` / `special`.
        let plain_pieces: String
        let special_pieces: String
    }
    let name: String
    let cases: [Case]

    static func load(_ name: String) throws -> SpecialGoldens {
        let path = TokenizerFixtures.measuredVocabs + "/special-\(name).json"
        return try JSONDecoder().decode(SpecialGoldens.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

extension TokenizerFixtures {
    /// The bytes of a hex string ("0a41" → [0x0A, 0x41]); nil when malformed.
    static func bytes(hex: String) -> [UInt8]? {
        let u = Array(hex.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(u.count / 2)
        for i in stride(from: 0, to: u.count, by: 2) {
            guard let b = UInt8(String(decoding: u[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
        }
        return out
    }
}

/// One test string of a llama.cpp vocab test and the ids HF gave for it.
struct VocabCase: Sendable {
    let index: Int
    let text: String
    let expected: [Int32]
}

struct TokenizerFixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
