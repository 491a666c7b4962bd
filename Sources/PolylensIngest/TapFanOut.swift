import PolylensEngine

/// Hands each tapped batch to every consumer that asked for that tap, so one forward pass feeds
/// statistics, summaries and lens states together.
public final class TapFanOut: TapConsumer {
    public let consumers: [TapConsumer]
    public let taps: Set<TapPoint>

    public init(_ consumers: [TapConsumer]) {
        self.consumers = consumers
        taps = consumers.reduce(into: Set<TapPoint>()) { $0.formUnion($1.taps) }
    }

    public func receive(_ tap: TapPoint, values: UnsafeBufferPointer<Float>, rows: Int, width: Int, firstPosition: Int) {
        for consumer in consumers where consumer.taps.contains(tap) {
            consumer.receive(tap, values: values, rows: rows, width: width, firstPosition: firstPosition)
        }
    }
}
