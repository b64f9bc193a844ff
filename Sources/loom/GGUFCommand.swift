// `loom gguf FILE`: print a GGUF file's header, metadata (long values summarized) and tensor table.

import ArgumentParser
import LoomGGUF
import LoomTensor

struct GGUFCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gguf",
        abstract: "Show the metadata and tensor table of a GGUF file."
    )

    @Argument(help: "Path of the GGUF file.")
    var file: String

    @Flag(help: "Print strings and arrays in full instead of summarizing them.")
    var full = false

    @Flag(name: .customLong("no-tensors"), help: "Omit the tensor table.")
    var noTensors = false

    func run() throws {
        let gguf = try GGUFFile(path: file)  // a GGUFError prints as "Error: <what and where>", exit 1
        let style = GGUFPrinter(full: full)
        print(style.header(gguf))
        print("")
        print(style.metadataTable(gguf.metadata))
        if !noTensors {
            print("")
            print(style.tensorTable(gguf))
        }
        if let rss = gguf.residentByteCount() {
            print("")
            print("mapped \(GGUFPrinter.size(gguf.fileSize)); resident in this process after reading the header: \(GGUFPrinter.size(rss))")
        }
    }
}
