// FuzzSupport: the libFuzzer driver every fuzz target calls from its main.swift, and small helpers.
//
// SwiftPM links an executable with `--defsym main=<module>_main`, so a fuzz target cannot leave
// `main` to libFuzzer; instead its top-level code calls `Fuzz.run`, which hands libFuzzer's flags
// (argv) and the per-input body to LLVMFuzzerRunDriver. A body reports a bug by trapping
// (`Fuzz.check`), never by returning an error: libFuzzer saves the input as a crash artifact.

import CFuzzer
import Foundation

/// The driver and checks shared by the fuzz targets.
public enum Fuzz {
    nonisolated(unsafe) static var body: ((UnsafeRawBufferPointer) -> Void)?

    /// Runs libFuzzer with this process's arguments, calling `body` once per input; never returns.
    public static func run(_ body: @escaping (UnsafeRawBufferPointer) -> Void) -> Never {
        Fuzz.body = body
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            Fuzz.body?(UnsafeRawBufferPointer(start: data, count: size))
            return 0
        }
        exit(status)
    }

    /// Traps with `message` (a finding) when `condition` is false.
    public static func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        if !condition() {
            FileHandle.standardError.write(Data("fuzz check failed: \(message())\n".utf8))
            abort()
        }
    }

    /// The repository root (the fuzz package lives in <root>/Fuzz), for fixtures and models.
    public static let root: String = {
        if let r = ProcessInfo.processInfo.environment["LOOM_ROOT"] { return r }
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()
}
