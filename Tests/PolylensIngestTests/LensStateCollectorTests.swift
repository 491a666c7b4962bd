import XCTest
import PolylensEngine
@testable import PolylensIngest

final class LensStateCollectorTests: XCTestCase {
    /// Keeps exactly positions first ..< count - 1 of every layer, whatever the chunking.
    func testKeepsThePredictingPositions() {
        let blocks = 2, dim = 3, count = 10, first = 6
        let collector = LensStateCollector(blocks: blocks, dim: dim, firstPosition: first, tokenCount: count)
        XCTAssertEqual(collector.taps, [.embed, .residPost(0), .residPost(1)])
        XCTAssertEqual(collector.positions, 3)
        let taps: [TapPoint] = [.embed, .residPost(0), .residPost(1)]
        func value(_ layer: Int, _ p: Int, _ i: Int) -> Float { Float(layer * 1000 + p * 10 + i) }
        for (layer, tap) in taps.enumerated() {
            for (start, rows) in [(0, 7), (7, 3)] {
                var v: [Float] = []
                for p in start..<(start + rows) { for i in 0..<dim { v.append(value(layer, p, i)) } }
                v.withUnsafeBufferPointer { collector.receive(tap, values: $0, rows: rows, width: dim, firstPosition: start) }
            }
        }
        collector.receive(.finalNorm, values: UnsafeBufferPointer(start: nil, count: 0), rows: 0, width: dim, firstPosition: 0)
        var expected: [Float] = []
        for layer in 0..<3 { for p in first..<(count - 1) { for i in 0..<dim { expected.append(value(layer, p, i)) } } }
        XCTAssertEqual(collector.states, expected)
    }
}
