// Modelfile parsing and rendering (Ollama §12): instructions, quoting, accumulation of stop
// parameters, Ollama's error messages with line numbers, and render → parse round trips.

import LoomStore
import Testing

@Suite("Modelfile")
struct ModelfileTests {
    static let sample = "\u{FEFF}# a comment\nfrom smollm2:135m\nPARAMETER temperature 0.7\nPARAMETER stop \"<|im_end|>\"\nparameter stop User:\n"
        + "PARAMETER num_ctx 2048\nTEMPLATE \"\"\"{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>{{ end }}\"\"\"\n"
        + "SYSTEM \"You are a pirate.\"\nMESSAGE user Hi there\nMESSAGE assistant \"\"\"Ahoy!\nHow be ye?\"\"\"\nLICENSE Apache-2.0\n"

    @Test("instructions, quoting, stop accumulation, messages")
    func parse() throws {
        let m = try Modelfile(parsing: Self.sample)
        #expect(m.last("from") == "smollm2:135m")
        #expect(m.last("template") == "{{ if .System }}<|im_start|>system\n{{ .System }}<|im_end|>{{ end }}")
        #expect(m.last("system") == "You are a pirate.")
        #expect(m.last("license") == "Apache-2.0")
        let params = m.parameters
        #expect(params.first { $0.0 == "temperature" }?.1 == .float(0.7))
        #expect(params.first { $0.0 == "num_ctx" }?.1 == .int(2048))
        #expect(params.first { $0.0 == "stop" }?.1 == .strings(["<|im_end|>", "User:"]))
        #expect(m.messages.map(\.role) == ["user", "assistant"])
        #expect(m.messages[1].content == "Ahoy!\nHow be ye?")
    }

    @Test("errors carry Ollama's messages and line numbers", arguments: [
        ("PARAMETER temperature 1\n", "no FROM line"),
        ("FROM x\nFOO bar\n", "(line 2): command must be one of \"from\", \"license\", \"template\", \"system\", \"adapter\", \"draft\", \"renderer\", \"parser\", \"parameter\", \"message\", or \"requires\""),
        ("FROM x\nMESSAGE robot hi\n", "(line 2): message role must be one of \"system\", \"user\", or \"assistant\""),
        ("FROM x\n\nSYSTEM \"\"\"never closed\n", "(line 3): unexpected EOF: unterminated \"\"\""),
        ("FROM x\nPARAMETER temperature hot\n", "(line 2): invalid float value [hot]"),
        ("FROM x\nPARAMETER num_ctx 1.5\n", "(line 2): invalid int value [1.5]"),
        ("FROM x\nPARAMETER use_mmap maybe\n", "(line 2): invalid bool value [maybe]"),
        ("FROM x\nPARAMETER flavour sweet\n", "(line 2): unknown parameter 'flavour'"),
        ("FROM x\nREQUIRES 1.2\n", "(line 2): requires must be a valid semver (e.g. 0.14.0)"),
    ])
    func errors(text: String, message: String) {
        #expect(throws: ModelfileError.self) { try Modelfile(parsing: text) }
        do { _ = try Modelfile(parsing: text) } catch { #expect(error.description == message) }
    }

    @Test("rendering quotes only what needs it, and parses back to the same instructions")
    func roundTrip() throws {
        let m = try Modelfile(parsing: Self.sample)
        let text = m.rendered()
        #expect(text.contains("FROM smollm2:135m\n"))
        #expect(text.contains("PARAMETER stop <|im_end|>\n"))
        #expect(text.contains("MESSAGE assistant \"Ahoy!\nHow be ye?\"\n"))
        #expect(try Modelfile(parsing: text) == m)
    }

    /// Found by Fuzz/Sources/fuzz-modelfile (Fuzz/Corpus/modelfile/crash-quote-prefix): a value that
    /// starts with a quote was rendered bare, and the rendered Modelfile no longer parsed.
    @Test("values that start with a quote render quoted and parse back", arguments: [
        "FROM ./model.gguf\nTEMPLATE \"\"\"\"x\u{01}}}{ two\"\"\"\n",
        "FROM \"\"\"\"quoted\" base\"\"\"\nSYSTEM \"\"\"\"hi\"\"\"\n",
        "FROM x\nMESSAGE user \"\"\"\"quoted\"\"\"\n",
    ])
    func quotePrefix(_ source: String) throws {
        let m = try Modelfile(parsing: source)
        #expect(m.commands.contains { $0.args.hasPrefix("\"") } || m.messages.contains { $0.content.hasPrefix("\"") })
        #expect(try Modelfile(parsing: m.rendered()) == m)
    }

    /// Found by fuzz-modelfile (Fuzz/Corpus/modelfile/crash-combining-mark): read as Swift Characters,
    /// a combining mark joined the space (or quote) before it and was trimmed away with it.
    @Test("values that start with a combining mark keep it through parse, render and parse")
    func combiningMark() throws {
        let m = try Modelfile(parsing: "FROM x\nADAPTER\t\u{0362}ab\nSYSTEM \"\u{0301}quoted\"\nMESSAGE user \u{0308}e\n")
        #expect(m.last("adapter") == "\u{0362}ab")
        #expect(m.last("system") == "\u{0301}quoted")
        #expect(m.messages.first?.content == "\u{0308}e")
        #expect(try Modelfile(parsing: m.rendered()) == m)
    }

    /// Found while fixing the above: "\r\n" is one Swift Character, so CRLF files were one long line.
    @Test("CRLF line ends separate instructions, as in Ollama")
    func crlf() throws {
        let m = try Modelfile(parsing: "FROM x\r\nPARAMETER temperature 0.5\r\nSYSTEM hi\r\n")
        #expect(m.last("from") == "x")
        #expect(m.last("system") == "hi")
        #expect(m.parameters.map(\.0) == ["temperature"])
    }
}

