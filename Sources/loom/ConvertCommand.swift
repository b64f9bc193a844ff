// `loom convert FOLDER OUT.gguf`: a Hugging Face Safetensors folder (BERT, llama, qwen2) to a GGUF
// file, as llama.cpp's convert_hf_to_gguf.py does, through LoomConvert (no Python). The server's
// /api/create does the same for uploaded folders.

import ArgumentParser
import LoomConvert

struct ConvertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert a Hugging Face Safetensors folder to GGUF."
    )

    @Argument(help: "The model folder (config.json, *.safetensors, tokenizer files).")
    var folder: String

    @Argument(help: "The GGUF file to write.")
    var output: String

    @Option(help: "Element type of the weight matrices: f32, f16 or bf16.")
    var type: ConvertOutputType = .f16

    func run() throws {
        let summary = try HFConverter.convert(try HFModelFolder(directory: folder), to: output, type: type)
        print("\(summary.sourceArchitecture) → \(summary.architecture): \(summary.tensorCount) tensors, "
              + "\(summary.parameterCount) parameters, \(type.rawValue) → \(output)")
    }
}

extension ConvertOutputType: ExpressibleByArgument {}
