// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "shipctl",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "shipctl", targets: ["shipctl"]),
        .library(name: "ShipctlKit", targets: ["ShipctlKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        .target(
            name: "ShipctlKit",
            dependencies: [
                "Yams",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The Postgres team backend, apart so the core never links the driver.
        .target(
            name: "ShipctlPostgres",
            dependencies: [
                "ShipctlKit",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "shipctl",
            dependencies: [
                "ShipctlKit",
                "ShipctlPostgres",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            plugins: ["BuildCommit"]
        ),
        .plugin(name: "BuildCommit", capability: .buildTool(), path: "Plugins/BuildCommit"),
        .target(
            name: "ShipctlTestSupport",
            dependencies: ["ShipctlKit"],
            path: "Tests/ShipctlTestSupport"
        ),
        .testTarget(
            name: "ShipctlKitTests",
            dependencies: [
                "ShipctlKit", "ShipctlTestSupport", .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(
            name: "ShipctlEndToEndTests",
            dependencies: ["ShipctlKit", "ShipctlTestSupport"]
        ),
    ]
)
