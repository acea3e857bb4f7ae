import XCTest

/// A test case with its own test world, started before each test and stopped after it.
open class WorldTestCase: XCTestCase {
    public var world: TestWorld!

    /// Peers beyond moto, the simulator and the Cloud Run fake that the class's tests need.
    open class var startsPrometheus: Bool { true }
    open class var startsPostgres: Bool { false }
    open class var startsCollector: Bool { false }

    open override func setUp() async throws {
        world = try await TestWorld(
            prometheus: Self.startsPrometheus, postgres: Self.startsPostgres, collector: Self.startsCollector)
    }

    open override func tearDown() async throws {
        await world?.shutdown()
    }
}
