import ArgumentParser
import Foundation

/// An output that is one of the command's inputs would be overwritten while it is read (`report F --out F`,
/// `merge F F`): refused before anything runs. The same file is found by device and inode when the output
/// exists (hard links, symlinks, `./F` against `F`), else by the resolved path.
enum OutputPath {
    static func refuse(_ output: String?, option: String, ifAnyOf inputs: [String]) throws {
        guard let output else { return }
        for input in inputs where same(output, input) {
            throw ValidationError("\(output): \(option) is the input \(input); write to another file")
        }
    }

    static func same(_ a: String, _ b: String) -> Bool {
        var sa = stat(), sb = stat()
        if stat(a, &sa) == 0, stat(b, &sb) == 0 { return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino }
        let resolve = { (p: String) in URL(fileURLWithPath: p).standardizedFileURL.resolvingSymlinksInPath().path }
        return resolve(a) == resolve(b)
    }
}
