// The general.file_type table (FileType) against llama.h's llama_ftype as gguf-py's LlamaFileType lists it.

import Testing
import LoomGGUF
import LoomTensor

@Suite("file types (general.file_type)")
struct FileTypeTests {
    @Test("ids, names and tensor types as llama.h / gguf-py's LlamaFileType")
    func table() {
        #expect(FileType(rawValue: 0)?.name == "F32" && FileType(rawValue: 1)?.name == "F16")
        #expect(FileType(rawValue: 2)?.name == "Q4_0" && FileType(rawValue: 3)?.name == "Q4_1")
        #expect(FileType(rawValue: 7)?.name == "Q8_0" && FileType(rawValue: 32)?.name == "BF16")
        #expect(FileType(rawValue: 8)?.name == "Q5_0" && FileType(rawValue: 9)?.name == "Q5_1")
        #expect(FileType(rawValue: 15)?.name == "Q4_K_M" && FileType(rawValue: 15)?.tensorType == nil)
        #expect(FileType(rawValue: 4) == nil && FileType(rawValue: 1024) == nil)
        #expect(FileType(name: "q5_1")?.rawValue == 9)
        for t in [GGMLType.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0] {
            #expect(FileType(mostly: t)?.tensorType == t, "\(t)")
        }
        #expect(FileType(mostly: .q8_1) == nil)
    }
}
