import ArgumentParser
import Foundation
import PolylensStore

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check a Polylens file: SQLite integrity, schema version, every blob's encoding and CRC.",
        discussion: "Exits 0 only when the file is sound; otherwise prints one line per problem and exits 1.")

    @Argument(help: "A Polylens file.") var file: String
    @OptionGroup var progress: ProgressOptions

    func run() throws {
        let printer = progress.printer()
        let report = try PolylensFile.inspect(URL(fileURLWithPath: file)).verify { printer?.update($0) }
        printer?.finish()
        for p in report.problems { print("\(file): \(p)") }
        if report.isSound {
            print("\(file): sound (schema version \(report.schemaVersion), \(report.blobsChecked) blobs checked)")
        } else {
            print("\(file): \(report.problems.count) problem(s), \(report.blobsChecked) blobs checked")
            throw ExitCode(1)
        }
    }
}
