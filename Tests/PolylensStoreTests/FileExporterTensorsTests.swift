import Foundation
import XCTest
@testable import PolylensStore

/// Tensor exports against the API they stack, with filters; numpy and safetensors read the archives in
/// tools/python/tests/test_exports.py.
final class FileExporterTensorsTests: XCTestCase {
    private func fixture() throws -> (PolylensFile, Int64) {
        let url = try StoreFixture.directory(self).appendingPathComponent("t.polylens")
        return try StoreFixture.makeFile(at: url)
    }

    private func numbers<T>(_ t: ExportTensor, _: T.Type) -> [T] {
        guard case .numbers(_, let data) = t.elements else { return [] }
        return data.withUnsafeBytes { Array($0.bindMemory(to: T.self)) }
    }

    func testNeuronStatsTensorsStackTheAPI() throws {
        let (file, run) = try fixture()
        let tensors = try file.neuronStatsTensors(run: run, filter: ExportFilter(languages: ["Python"], layers: [0, 2]))
        let byName = Dictionary(uniqueKeysWithValues: tensors.map { ($0.name, $0) })
        XCTAssertEqual(byName["languages"]?.elements, .strings(["Python"]))
        XCTAssertEqual(numbers(try XCTUnwrap(byName["layers"]), Int64.self), [0, 2])
        let active = try XCTUnwrap(byName["active"]), sum = try XCTUnwrap(byName["sum"]), max = try XCTUnwrap(byName["max"])
        XCTAssertEqual(active.shape, [1, 2, StoreFixture.neurons])
        let stats = try file.neuronStats(run: run).filter { $0.language == "Python" && $0.layer != 1 }
        XCTAssertEqual(numbers(active, Int64.self), stats.flatMap(\.active))
        XCTAssertEqual(numbers(sum, Double.self), stats.flatMap(\.sum))
        XCTAssertEqual(numbers(max, Float.self), stats.flatMap(\.max))
        XCTAssertEqual(numbers(try XCTUnwrap(byName["tokens"]), Int64.self), stats.map(\.tokens))
        assertError(try file.neuronStatsTensors(run: run, filter: ExportFilter(languages: ["Go"])), contains: "have no language Go")
        assertError(try file.neuronStatsTensors(run: run, filter: ExportFilter(layers: [7])), contains: "have no layer 7")
    }

    func testSummaryTensorsAndLapeMasks() throws {
        let (file, run) = try fixture()
        let tensors = try file.summaryTensors(run: run, filter: ExportFilter(languages: ["C"], layers: [1], pooling: .last))
        let data = try XCTUnwrap(tensors.first { $0.name == "data" })
        let summaries = try file.summaries(run: run, pooling: .last).filter { $0.document.language == "C" }
        XCTAssertEqual(data.shape, [summaries.count, 1, StoreFixture.dim])
        XCTAssertEqual(numbers(data, Float16.self), summaries.flatMap { $0.summary.layer(1).map { Float16($0) } })

        try file.saveNeuronSet(run: run, name: "s", neurons: ["C": [NeuronRef(layer: 2, neuron: 9), NeuronRef(layer: 0, neuron: 4),
                                                                   NeuronRef(layer: 0, neuron: 1)],
                                                             "Python": [NeuronRef(layer: 1, neuron: 3)]], parametersJSON: "{}")
        let (languages, masks) = try file.lapeMasks(run: run, set: "s", layers: StoreFixture.layers)
        XCTAssertEqual(languages, ["C", "Python"])
        XCTAssertEqual(masks, [[[1, 4], [], [9]], [[], [3], []]])
        XCTAssertEqual(try file.lapeMasksJSON(run: run, set: "s", filter: ExportFilter(languages: ["Python"]), layers: 3),
                       #"{"languages":["Python"],"activation_mask":[[[],[3],[]]]}"#)
    }
}
