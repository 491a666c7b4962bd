import Foundation
import PolylensIngest
import PolylensModel
import PolylensStore

/// The model a command reruns must be the one the run used. `--model` defaults to the path the run recorded, and
/// either way the files are hashed before a byte of them is parsed: a path recorded in a file someone sent is
/// opened only when it holds regular files with the recorded sha256, so the file cannot make Polylens parse (and
/// quote in an error) any other local file. One helper for every command that needs the model.
enum RunModel {
    static func load(_ given: String?, run: Int64, info: RunInfo) throws -> (weights: ModelWeights, sha256: String, path: String) {
        let path = given ?? info.modelPath
        let shown = path.printableExcerpt(limit: 200)
        let files = try checkedFiles(path, run: run, recorded: info.modelSHA256)
        let weights = try ModelLoader.load(URL(fileURLWithPath: path))
        // The loader must read exactly the files that were hashed (a safetensors path also reads its config.json).
        guard weights.files.map(\.standardizedFileURL.path) == files.map(\.standardizedFileURL.path) else {
            throw CLIError("\(shown): the model loads \(weights.files.map(\.lastPathComponent).joined(separator: ", ")), not the files run \(run) recorded")
        }
        return (weights, info.modelSHA256, path)
    }

    /// The files the recorded sha256 names (one file, or `name=sha256,…` for a Hugging Face directory), hashed
    /// and checked; an error names the path and the digests, never the files' content.
    static func checkedFiles(_ path: String, run: Int64, recorded: String) throws -> [URL] {
        let shown = path.printableExcerpt(limit: 200)
        let url = URL(fileURLWithPath: path)
        var files = [url]
        if recorded.contains("=") {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            let directory = exists && isDirectory.boolValue ? url : url.deletingLastPathComponent()
            files = try recorded.split(separator: ",").map { entry in
                let name = String(entry.prefix { $0 != "=" })
                guard !name.isEmpty, !name.contains("/"), name != "..", name != "." else {
                    throw CLIError("run \(run) records an invalid model file list (\(recorded.printableExcerpt(limit: 80)))")
                }
                return directory.appendingPathComponent(name)
            }
        }
        if let missing = files.first(where: { !FileManager.default.fileExists(atPath: $0.path) }) {
            throw CLIError("\(shown): not the model run \(run) used (no \(missing.lastPathComponent.printableExcerpt(limit: 80)) there; recorded \(recorded.printableExcerpt(limit: 200)))")
        }
        let digest: String
        do {
            digest = try FileDigest.sha256(of: files)
        } catch {
            throw CLIError("\(shown): cannot check the model run \(run) used: \(error)")
        }
        guard digest == recorded else {
            throw CLIError("\(shown): not the model run \(run) used (sha256 \(digest.printableExcerpt(limit: 200)), recorded \(recorded.printableExcerpt(limit: 200)))")
        }
        return files
    }
}
