/// MLP neurons to pin: for each layer, the indices whose activation a = SiLU(gate_proj · x) is replaced, at every
/// position, before the product with up_proj: by zero (the original LAPE ablation) or by a value per neuron (e.g. a
/// quantile of its own activation distribution: "activation" steering).
public struct NeuronAblation: Sendable, Equatable {
    /// layer → neuron indices (0-based, < intermediate size).
    public var neurons: [Int: [Int]]
    /// layer → the value each neuron of `neurons[layer]` is set to, in the same order; a layer absent here is zeroed.
    public var values: [Int: [Float]]

    public init(neurons: [Int: [Int]] = [:], values: [Int: [Float]] = [:]) {
        self.neurons = neurons; self.values = values
    }

    public var isEmpty: Bool { neurons.values.allSatisfy { $0.isEmpty } }
}
