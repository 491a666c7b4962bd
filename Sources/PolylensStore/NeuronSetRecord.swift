import Crypto
import Foundation

/// A saved neuron set as `polylens results` lists it: its identity (name and content hash) and how it was selected.
public struct NeuronSetRecord: Sendable, Equatable {
    public var id: Int64
    public var run: Int64
    public var name: String
    /// `contentSHA256(of:)` of its members; nil for sets saved before schema version 5.
    public var contentSHA256: String?
    public var parametersJSON: String
    public var createdAt: String
    /// Neurons per language.
    public var sizes: [String: Int]

    /// sha256 (hex) of the set's members written as text, so any reader can recompute it (FORMAT.md): per
    /// language in UTF-8 byte order, the line `language TAB layer:neuron,layer:neuron,…` (neurons sorted) and LF.
    public static func contentSHA256(of neurons: [String: [NeuronRef]]) -> String {
        var text = ""
        for language in neurons.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            text += language + "\t" + neurons[language]!.sorted().map { "\($0.layer):\($0.neuron)" }.joined(separator: ",") + "\n"
        }
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
