/// MLP neurons to silence: for each layer, the indices whose activation a = SiLU(gate_proj · x) is set to
/// zero before the product with up_proj, at every position.
public struct NeuronAblation: Sendable, Equatable {
    /// layer → neuron indices (0-based, < intermediate size).
    public var neurons: [Int: [Int]]

    public init(neurons: [Int: [Int]] = [:]) { self.neurons = neurons }

    public var isEmpty: Bool { neurons.values.allSatisfy { $0.isEmpty } }
}
