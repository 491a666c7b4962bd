import Foundation
import PolylensIngest
import PolylensModel

/// The model a command reruns must be the one the run used: loaded and checked by sha256 before any work.
enum RunModel {
    static func load(_ path: String, run: Int64, recordedSHA256: String) throws -> (weights: ModelWeights, sha256: String) {
        let weights = try ModelLoader.load(URL(fileURLWithPath: path))
        let digest = try FileDigest.sha256(of: weights.files)
        guard digest == recordedSHA256 else {
            throw CLIError("\(path): not the model run \(run) used (sha256 \(digest), recorded \(recordedSHA256))")
        }
        return (weights, digest)
    }
}
