/// One MLP neuron: its layer (0-based block index) and its index within the layer.
public struct NeuronRef: Hashable, Comparable, Sendable {
    public var layer: Int
    public var neuron: Int
    public init(layer: Int, neuron: Int) { self.layer = layer; self.neuron = neuron }
    public static func < (a: NeuronRef, b: NeuronRef) -> Bool { (a.layer, a.neuron) < (b.layer, b.neuron) }
}
