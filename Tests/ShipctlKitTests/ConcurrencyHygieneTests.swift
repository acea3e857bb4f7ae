import Foundation
import ShipctlTestSupport
import XCTest

/// Two rules that keep the optimised build from crashing where the debug build does not: every release
/// rollback died with signal 11 pushing a task-local whose type was an optional function, from an unstructured
/// task that had copied its creator's task-locals.
final class ConcurrencyHygieneTests: XCTestCase {
    private func sourceLines(under folder: String) throws -> [(place: String, text: String)] {
        let root = TestWorld.repositoryRoot.appendingPathComponent(folder)
        let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
        var lines: [(String, String)] = []
        for file in files.filter({ $0.hasSuffix(".swift") }).sorted() {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            for (index, line) in text.components(separatedBy: "\n").enumerated() {
                lines.append(("\(folder)/\(file):\(index + 1)", line))
            }
        }
        return lines
    }

    func testNoTaskLocalHoldsAFunction() throws {
        let lines = try sourceLines(under: "Sources")
        let declarations = lines.filter { $0.text.contains("@TaskLocal") }
        XCTAssertFalse(declarations.isEmpty, "no task-local found: the scan reads the wrong folder")
        for declaration in declarations {
            XCTAssertFalse(
                declaration.text.contains("->"),
                "\(declaration.place): a task-local of function type; box the function in a struct")
        }
    }

    func testTheLibraryStartsNoUnstructuredTaskThatInheritsTaskLocals() throws {
        let starts = try sourceLines(under: "Sources/ShipctlKit").filter { line in
            let code = line.text.components(separatedBy: "//").first ?? ""
            return code.range(of: #"(^|[^.\w])Task\s*(\{|\()"#, options: .regularExpression) != nil
        }
        XCTAssertEqual(
            starts.map { "\($0.place): \($0.text.trimmingCharacters(in: .whitespaces))" }, [],
            "start work that must outlive its caller with ShieldedTask (detached, the task-locals handed over)")
    }
}
