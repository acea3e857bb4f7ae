import XCTest

/// A test case with its own test world, started before each test and stopped after it.
open class WorldTestCase: XCTestCase {
    public var world: TestWorld!

    open override func setUp() async throws {
        world = try await TestWorld()
    }

    open override func tearDown() async throws {
        await world?.shutdown()
    }
}
