// swift-tools-version: 6.1
// A package that depends on Loom as any user's package would — by path here, built with a plain
// `swift build` (no flags) — to check that a dependent gets the fast kernels chosen at run time.
// `make test` builds it and runs `loom-user MODEL`: it loads the model, decodes a few tokens and
// prints the kernel path; the Makefile checks that the path is the CPU's best.
import PackageDescription

let package = Package(
    name: "LoomUser",
    platforms: [.macOS(.v15)],
    dependencies: [.package(name: "Loom", path: "../..")],
    targets: [
        .executableTarget(
            name: "LoomUser",
            dependencies: [
                .product(name: "LoomRuntime", package: "Loom"),
                .product(name: "LoomKernels", package: "Loom"),
                .product(name: "LoomSampling", package: "Loom"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
