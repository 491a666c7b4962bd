import Foundation
import XCTest
import PolylensStore
@testable import PolylensIngest

/// Which run an ingest continues, on parameters as `IngestOptions` writes them (and as older files hold them).
final class RunIdentityTests: XCTestCase {
    private func info(_ options: IngestOptions, model: String = "m1") -> RunInfo {
        RunInfo(modelPath: "/models/\(model)", modelFormat: "hf", modelSHA256: model + String(repeating: "0", count: 62),
                tokenizerPath: "/t", tokenizerSHA256: "t", architectureJSON: "{}", parametersJSON: options.parametersJSON,
                polylensVersion: "test")
    }

    private func options(_ specs: [CorpusSpec], budget: Int? = 1000, docTokens: Int = 4096) -> IngestOptions {
        var o = IngestOptions(corpus: specs)
        o.maxTokensPerLanguage = budget
        o.maxDocTokens = docTokens
        return o
    }

    private func object(_ json: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    func testAFreshFileGetsRunOneWithAHistoryOfOneCall() throws {
        let c = try RunIdentity.choose(for: info(options([try .files("C=/usr/include/*.h")])), among: [], allowNewRun: false, path: "f")
        XCTAssertNil(c.run)
        XCTAssertNil(c.message)
        let p = try object(c.info.parametersJSON)
        XCTAssertEqual(p["corpus"] as? [String], ["--lang C=/usr/include/*.h"])
        XCTAssertEqual((p["history"] as? [[String: Any]])?.count, 1)
        XCTAssertEqual((p["history"] as? [[String: Any]])?.first?["max_tokens_per_language"] as? Int, 1000)
    }

    /// A run written before histories (flat parameters, as every version-1 file holds) continues when a
    /// language is added and the budget raised; both calls are in the history, the specs joined.
    func testALegacyRunGrowsWithNewSpecsAndBudget() throws {
        let c = try CorpusSpec.files("C=/usr/include/*.h"), perl = try CorpusSpec.files("Perl=/usr/share/perl/5.36.0/*.pm")
        let stored = info(options([c]))
        let choice = try RunIdentity.choose(for: info(options([perl], budget: 4000)), among: [(1, stored)], allowNewRun: false, path: "f")
        XCTAssertEqual(choice.run, 1)
        XCTAssertTrue(choice.updatesParameters)
        XCTAssertEqual(choice.message, "run 1 continues (only new documents are computed): adds --lang Perl=/usr/share/perl/5.36.0/*.pm; max_tokens_per_language 1000 → 4000")
        let p = try object(choice.info.parametersJSON)
        XCTAssertEqual(p["corpus"] as? [String], [c.description, perl.description])
        XCTAssertEqual(p["max_tokens_per_language"] as? Int, 4000)
        let history = try XCTUnwrap(p["history"] as? [[String: Any]])
        XCTAssertEqual(history.map { $0["max_tokens_per_language"] as? Int }, [1000, 4000])
        XCTAssertEqual(history.map { $0["corpus"] as? [String] }, [[c.description], [perl.description]])
        XCTAssertNil(history[0]["at"])
        XCTAssertNotNil(history[1]["at"])

        // The same call again is a plain resume: nothing to record.
        var grown = stored
        grown.parametersJSON = choice.info.parametersJSON
        let again = try RunIdentity.choose(for: info(options([perl], budget: 4000)), among: [(1, grown)], allowNewRun: false, path: "f")
        XCTAssertEqual(again.run, 1)
        XCTAssertNil(again.message)
        XCTAssertFalse(again.updatesParameters)
    }

    /// Truncation, held-out fraction or model changes need a new run: refused with the reason, or started with --new-run.
    func testPerDocumentChangesNeedANewRun() throws {
        let c = try CorpusSpec.files("C=/usr/include/*.h")
        let stored = info(options([c]))
        XCTAssertThrowsError(try RunIdentity.choose(for: info(options([c], docTokens: 512)), among: [(1, stored)], allowNewRun: false, path: "out.polylens")) {
            XCTAssertEqual("\($0)", "out.polylens: this ingest cannot continue run 1: max_doc_tokens 4096 → 512; give --new-run to start run 2 (analyses then need --run), or keep those options as run 1 has them")
        }
        var heldOut = options([c]); heldOut.heldOut = 0.2
        let choice = try RunIdentity.choose(for: info(heldOut, model: "m2"), among: [(1, stored)], allowNewRun: true, path: "f")
        XCTAssertNil(choice.run)
        XCTAssertEqual(choice.message, "starting run 2, not continuing run 1: another model (sha256 m20000000000…, the run has m10000000000… from /models/m1); held_out 0.1 → 0.2")
        // Once run 2 exists, the same options continue it without --new-run.
        let run2 = info(heldOut, model: "m2")
        XCTAssertEqual(try RunIdentity.choose(for: run2, among: [(1, stored), (2, run2)], allowNewRun: false, path: "f").run, 2)
    }

    /// An option added later is run-defining by default: a key the stored run lacks is a difference, unless
    /// `legacyDefaults` says what older runs did (then a run that did the same continues).
    func testANewOptionIsRunDefiningUnlessOlderRunsHadItsValue() throws {
        let stored = try JSONSerialization.jsonObject(with: Data(options([try .files("C=/x/*.h")]).parametersJSON.utf8)) as! [String: Any]
        var newer = stored
        newer["poolings"] = ["weighted", "mean", "last"]
        newer["corpus"] = ["--lang Perl=/y/*.pm"]
        XCTAssertNotEqual(RunIdentity.canonical(RunIdentity.defining(stored)), RunIdentity.canonical(RunIdentity.defining(newer)))
        let legacy: [String: Any] = ["poolings": ["weighted", "mean", "last"]]
        XCTAssertEqual(RunIdentity.canonical(RunIdentity.defining(stored, legacy: legacy)),
                       RunIdentity.canonical(RunIdentity.defining(newer, legacy: legacy)))
        newer["poolings"] = ["last"]
        XCTAssertNotEqual(RunIdentity.canonical(RunIdentity.defining(stored, legacy: legacy)),
                          RunIdentity.canonical(RunIdentity.defining(newer, legacy: legacy)))
    }

    /// `polylens merge` of shards with the same processing reads as one run that can grow.
    func testAMergedRunOfAgreeingShardsContinues() throws {
        let c = try CorpusSpec.files("C=/usr/include/*.h"), py = try CorpusSpec.files("Python=/usr/lib/python3.11/*.py")
        var merged = info(options([c]))
        merged.parametersJSON = "{\"merged\": [\(options([c]).parametersJSON), \(options([py]).parametersJSON)]}"
        let choice = try RunIdentity.choose(for: info(options([c, py])), among: [(1, merged)], allowNewRun: false, path: "f")
        XCTAssertEqual(choice.run, 1)
        let p = try object(choice.info.parametersJSON)
        XCTAssertEqual(p["corpus"] as? [String], [c.description, py.description])
        XCTAssertEqual((p["history"] as? [[String: Any]])?.count, 3)
        XCTAssertEqual(p["max_doc_tokens"] as? Int, 4096)
    }
}
