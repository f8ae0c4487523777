// swift-tools-version: 6.0
// Efficient Dataset Annotator: label-efficient nuclei segmentation on H&E images.
//
// Layers point one way (see README "Architecture"):
//   C shims → core (Imaging, ZeroMQ) → domain (Metrics) → Wire → services → Clients → CLI.
// Core and domain targets never depend on Wire or on a service.
import PackageDescription

let package = Package(
    name: "EfficientDatasetAnnotator",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "annotator", targets: ["AnnotatorCLI"]),
        .library(name: "AnnotatorClients", targets: ["Clients"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    ],
    targets: [
        // MARK: C shims
        .systemLibrary(name: "CZeroMQ", path: "Sources/Shims/CZeroMQ", pkgConfig: "libzmq",
                       providers: [.apt(["libzmq3-dev"])]),
        .systemLibrary(name: "CBLAS", path: "Sources/Shims/CBLAS", pkgConfig: "openblas",
                       providers: [.apt(["libopenblas-dev"])]),
        .systemLibrary(name: "CProtobufC", path: "Sources/Shims/CProtobufC", pkgConfig: "libprotobuf-c",
                       providers: [.apt(["libprotobuf-c-dev"])]),
        // libpng's and libtiff's error paths need setjmp / C varargs, so they live in C.
        .target(name: "CImageCodecs", path: "Sources/Shims/CImageCodecs",
                cSettings: [.unsafeFlags(["-I/usr/include/libpng16"])],
                linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("tiff"), .linkedLibrary("jpeg")]),
        // The C client library for lab tools (also built stand-alone by `make c-client`).
        .target(name: "CAnnotatorClient", dependencies: ["CZeroMQ", "CProtobufC"],
                path: "clients/c",
                exclude: ["examples", "tests", "Makefile", "README.md"],
                sources: ["src", "generated"],
                publicHeadersPath: "include",
                cSettings: [.headerSearchPath("generated")],
                linkerSettings: [.linkedLibrary("zmq"), .linkedLibrary("protobuf-c")]),

        // MARK: Core
        .target(name: "Imaging", dependencies: ["CImageCodecs"]),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"]),
        .target(name: "Artifacts"),
        // The seeded generator every reproducible run uses.
        .target(name: "Randomness"),
        // Tensors, autograd and CPU kernels over OpenBLAS; no I/O beyond weight files.
        .target(name: "Learning", dependencies: ["CBLAS"],
                swiftSettings: [.unsafeFlags(["-Ounchecked"], .when(configuration: .release))]),

        // MARK: Domain
        .target(name: "Metrics", dependencies: ["Imaging"]),
        .target(name: "Datasets", dependencies: ["Imaging"]),
        // HoVer-Net: model, targets, losses, training, tiled inference, post-processing.
        .target(name: "HoVerNet", dependencies: ["Randomness", "Learning", "Imaging", "Datasets", "Metrics"]),
        // Initial synthesis of (image, instance mask) pairs from unannotated images.
        .target(name: "Synthesis", dependencies: ["Randomness", "Imaging", "Datasets"]),
        // SimGAN refiner and discriminator, importance weights, the realism measure.
        .target(name: "Refinement", dependencies: ["Learning", "Imaging", "Datasets"]),
        // Durable project state of the annotation cycle (SQLite).
        .target(name: "Project", dependencies: [.product(name: "GRDB", package: "GRDB.swift")]),
        // Click-conditioned segmentation (f-BRS): clicks, robot clicker, model, predictor,
        // training and NoC evaluation. The interactive service wraps it.
        .target(name: "Interactive", dependencies: ["Randomness", "Learning", "Imaging", "Datasets", "Metrics"]),

        // MARK: Wire
        .target(name: "Wire", dependencies: [
            "ZeroMQ", "Imaging",
            .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        ], exclude: ["Generated/README.md"]),

        // MARK: Services
        .target(name: "ServiceKit", dependencies: ["Wire", "Artifacts"]),
        .target(name: "MetricsService", dependencies: ["Wire", "Metrics", "Imaging"]),
        .target(name: "InteractiveService", dependencies: ["ServiceKit", "Wire", "Interactive", "Artifacts", "Imaging", "Datasets"]),
        .target(name: "HoVerNetService", dependencies: ["ServiceKit", "Wire", "HoVerNet", "Artifacts", "Imaging", "Datasets"]),
        // MARK: Orchestration (the cycle; talks to services only through stages/clients)
        .target(name: "Orchestration", dependencies: ["Project"]),
        // The cycle's stages done by the services, through their clients only.
        .target(name: "Orchestrator", dependencies: [
            "Orchestration", "Project", "Clients", "Wire", "Datasets", "Imaging", "Interactive", "Artifacts", "Randomness", "Metrics",
        ]),
        .target(name: "OrchestratorService", dependencies: ["ServiceKit", "Wire", "Orchestrator", "Orchestration", "Project"]),
        .target(name: "SynthesisService", dependencies: ["ServiceKit", "Wire", "Synthesis", "Imaging"]),
        .target(name: "RefinementService", dependencies: ["ServiceKit", "Wire", "Artifacts", "Refinement", "Datasets", "Imaging"]),

        // MARK: Clients and executables
        .target(name: "Clients", dependencies: ["Wire", "Imaging", "Metrics"]),
        .executableTarget(name: "AnnotatorCLI", dependencies: [
            "Clients", "Wire", "MetricsService", "Orchestrator", "OrchestratorService", "Metrics", "Imaging", "Learning", "Datasets", "Orchestration", "Project", "HoVerNet", "Interactive",
            "HoVerNetService", "InteractiveService", "ServiceKit", "Artifacts",
            "Synthesis", "Refinement", "SynthesisService", "RefinementService", "Randomness",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // MARK: Tests (mirror the modules)
        .target(name: "TestSupport", dependencies: ["Imaging", "Randomness"], path: "Tests/TestSupport"),
        .testTarget(name: "ImagingTests", dependencies: ["Imaging", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Imaging", "Metrics", "TestSupport"]),
        .testTarget(name: "SynthesisTests", dependencies: ["Randomness", "Synthesis", "Imaging", "TestSupport"]),
        .testTarget(name: "RefinementTests", dependencies: ["Refinement", "Learning", "Imaging", "Datasets", "TestSupport"]),
        .testTarget(name: "SynthesisServiceTests", dependencies: [
            "SynthesisService", "RefinementService", "Synthesis", "Refinement", "ServiceKit", "Wire", "Imaging", "Datasets", "TestSupport",
        ]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "Imaging", "TestSupport"]),
        .testTarget(name: "InteractiveTests", dependencies: ["Interactive", "Learning", "Imaging", "Datasets", "TestSupport"]),
        .testTarget(name: "LearningTests", dependencies: ["Learning", "TestSupport"]),
        .testTarget(name: "HoVerNetTests", dependencies: ["Randomness", "HoVerNet", "Learning", "Imaging", "Datasets", "Metrics", "TestSupport"]),
        .testTarget(name: "WireTests", dependencies: ["Wire", "ZeroMQ", "TestSupport"]),
        .testTarget(name: "OrchestrationTests", dependencies: ["Orchestration", "Project", "TestSupport"]),
        .testTarget(name: "OrchestratorTests", dependencies: [
            "Orchestrator", "Orchestration", "Project", "Clients", "Wire", "Datasets", "Imaging", "Interactive", "HoVerNet", "TestSupport",
            "SynthesisService", "RefinementService", "InteractiveService", "HoVerNetService", "MetricsService",
            "OrchestratorService", "Artifacts",
        ]),
        .testTarget(name: "ProjectTests", dependencies: ["Project", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(name: "ArtifactsTests", dependencies: ["Artifacts", "TestSupport"]),
        .testTarget(name: "ServiceKitTests", dependencies: ["ServiceKit", "Wire", "TestSupport"]),
        .testTarget(name: "InteractiveServiceTests", dependencies: [
            "InteractiveService", "Interactive", "ServiceKit", "Wire", "Imaging", "TestSupport",
        ]),
        .testTarget(name: "HoVerNetServiceTests", dependencies: [
            "HoVerNetService", "HoVerNet", "Clients", "Wire", "ServiceKit", "Imaging", "TestSupport",
        ]),
        .testTarget(name: "MetricsServiceTests", dependencies: [
            "MetricsService", "Clients", "Wire", "Imaging", "Metrics", "TestSupport", "CAnnotatorClient",
        ]),
    ]
)
