// fuzz-gguf: any bytes → GGUFFile(bytes:) → a typed GGUFError or a file whose every part is usable:
// each metadata value read through the typed accessors, each tensor's bytes inside the file, and a
// tokenizer vocabulary (if the metadata has one) built, as the runtime does, and used once.
// Seeds: Fuzz/Corpus/gguf (tiny.gguf, vocab-only files cut from the test vocabularies).

import FuzzSupport
import LoomGGUF
import LoomRuntimeVocabulary
import LoomTokenizers

Fuzz.run { bytes in
    guard let file = try? GGUFFile(bytes: bytes) else { return }
    for entry in file.metadata {
        let key = entry.key
        _ = try? file.metadata.integer(key, as: Int64.self)
        _ = try? file.metadata.float(key)
        _ = try? file.metadata.bool(key)
        _ = try? file.metadata.string(key)
        _ = try? file.metadata.strings(key)
        _ = try? file.metadata.floats(key)
        _ = try? file.metadata.integers(key, as: Int32.self)
        _ = try? file.metadata.integers(key, as: UInt8.self)
    }
    for tensor in file.tensors {
        Fuzz.check(file.tensor(named: tensor.name) != nil, "tensor \(tensor.name) not found by name")
        Fuzz.check(tensor.offset >= 0 && tensor.byteCount >= 0, "negative tensor range")
        Fuzz.check(file.dataOffset + tensor.offset + tensor.byteCount <= bytes.count, "tensor \(tensor.name) beyond the file")
        let view = file.bytes(of: tensor)
        Fuzz.check(view.count == tensor.byteCount, "tensor view size")
        if let first = view.first, let last = view.last { _ = first &+ last }
        _ = tensor.rowCount
    }
    guard let vocabulary = try? Vocabulary(metadata: file.metadata),
          let tokenizer = try? Tokenizers.make(vocabulary) else { return }
    let ids = tokenizer.encode("Hello wörld 123 <|im_start|>\n", addSpecial: true, parseSpecial: true)
    for id in ids { Fuzz.check(id >= 0 && Int(id) < vocabulary.tokens.count, "id \(id) out of range") }
    _ = tokenizer.decode(ids)
}
