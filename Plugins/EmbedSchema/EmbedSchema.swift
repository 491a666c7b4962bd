import Foundation
import PackagePlugin

/// Turns Schema/*.sql into EmbeddedSchema.swift at build time, so the schema lives in the binary.
@main
struct EmbedSchema: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let schema = context.package.directoryURL.appending(path: "Schema")
        let files = try FileManager.default.contentsOfDirectory(at: schema, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedSchema.swift")
        return [.buildCommand(displayName: "Embedding \(files.count) schema migrations",
                              executable: try context.tool(named: "EmbedSchemaTool").url,
                              arguments: [output.path] + files.map(\.path),
                              inputFiles: files,
                              outputFiles: [output])]
    }
}
