import Foundation
import XCTest
import PolylensStore
@testable import PolylensIngest

/// An executor reads back from a planned run's parameters exactly the options ingest ran with, and refuses,
/// in one line, a plan asking for something it cannot produce.
final class IngestOptionsExecutionTests: XCTestCase {
    func testTheExecutorOptionsRoundTripThroughTheRunParameters() throws {
        var o = try IngestorTests.smallCorpus()
        o.storage.poolings = [.last, .weightedMean]
        o.storage.corpusSummaries = true
        o.storage.summaryCodec = .q8_0
        o.lensTop = 7
        o.batchDocuments = 5
        o.batchTokens = 999
        o.contexts = ContextShape(k: 3, perLanguage: 2, before: 4, after: 1)
        let back = try IngestOptions(executing: o.parametersJSON, path: "plan.polylens")
        XCTAssertEqual(back.storage.poolings, o.storage.poolings)
        XCTAssertEqual(back.storage.corpusSummaries, true)
        XCTAssertEqual(back.storage.summaryCodec, .q8_0)
        XCTAssertEqual([back.lensTop, back.batchDocuments, back.batchTokens], [7, 5, 999])
        XCTAssertEqual(back.lensStates, true)
        XCTAssertEqual(back.activationHistograms, true)
        XCTAssertEqual(back.contexts, o.contexts)

        o.lensStates = false
        o.activationHistograms = false
        o.contexts = nil
        let plain = try IngestOptions(executing: o.parametersJSON, path: "plan.polylens")
        XCTAssertEqual([plain.lensStates, plain.activationHistograms], [false, false])
        XCTAssertNil(plain.contexts)
    }

    func testAPlanAskingForWhatThisExecutorCannotDoIsRefused() throws {
        let o = try IngestorTests.smallCorpus()
        let p = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(o.parametersJSON.utf8)) as? [String: Any])
        func refusal(_ change: (inout [String: Any]) -> Void) -> String {
            var q = p
            change(&q)
            let json = String(decoding: try! JSONSerialization.data(withJSONObject: q, options: [.sortedKeys]), as: UTF8.self)
            do {
                _ = try IngestOptions(executing: json, path: "plan.polylens")
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(refusal { _ in }, "accepted")
        let cases: [(String, (inout [String: Any]) -> Void)] = [
            ("unknown parameter lens_dtype", { $0["lens_dtype"] = "bf16" }),
            ("activation_histograms asks for 32 bins", { $0["activation_histograms"] = 32 }),
            ("summary_codec \"f32\" is not f16 or q8_0", { $0["summary_codec"] = "f32" }),
            ("unknown pooling max", { $0["summaries"] = ["max"] }),
            ("bos is false", { $0["bos"] = false }),
            ("top_contexts is not {k, per_language, before, after}", { $0["top_contexts"] = ["k": 3] }),
            ("--lens-top must be at least 1", { $0["lens_top"] = 0 }),
        ]
        for (expected, change) in cases {
            let message = refusal(change)
            XCTAssertTrue(message.hasPrefix("plan.polylens: this executor cannot run the plan: ") && message.contains(expected), message)
            XCTAssertFalse(message.contains("\n"), message)
        }
    }
}
