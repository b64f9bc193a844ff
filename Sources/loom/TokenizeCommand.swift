// `loom tokenize MODEL.gguf [--special] (TEXT | --file F)`: the ids of a text as a JSON array;
// with `--decode`, the text of a JSON array of ids.

import ArgumentParser
import LoomGGUF
import LoomRuntime
import LoomTokenizers
#if canImport(Glibc)
import Glibc
#endif

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize text with a model's tokenizer (or --decode ids back to text)."
    )

    @Argument(help: "A GGUF model file.")
    var model: String

    @Argument(help: "The text (or, with --decode, a JSON array of ids).")
    var text: String?

    @Option(help: "Read the text from a file instead.")
    var file: String?

    @Flag(help: "Match special-token texts (<|im_start|>, …) as single tokens.")
    var special = false

    @Flag(help: "Add BOS/EOS as the model's metadata says.")
    var addSpecial = false

    @Flag(help: "Decode a JSON array of ids instead.")
    var decode = false

    func run() throws {
        let gguf = try GGUFFile(path: model)
        let tokenizer = try Tokenizers.make(try Vocabulary(metadata: gguf.metadata))
        if let bpe = tokenizer as? BPETokenizer {
            for w in bpe.warnings { FileHandleStandardError.write("warning: \(w)\n") }
        }
        let input: String
        if let file {
            input = try TemplateCommand.readFile(file)
        } else if let text {
            input = text
        } else {
            throw ValidationError("give a TEXT argument or --file")
        }
        if decode {
            let ids = input.split(whereSeparator: { "[], \n".contains($0) }).compactMap { Int32($0) }
            print(tokenizer.decode(ids))
        } else {
            let ids = tokenizer.encode(input, addSpecial: addSpecial, parseSpecial: special)
            print("[" + ids.map(String.init).joined(separator: ", ") + "]")
        }
    }
}

/// Writes to standard error without Foundation.
enum FileHandleStandardError {
    static func write(_ s: String) {
        var s = s
        s.withUTF8 { p in _ = Glibc.write(2, p.baseAddress, p.count) }
    }
}
