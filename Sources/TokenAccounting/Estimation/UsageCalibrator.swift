import Synchronization

/// Learns, per model, how far local estimates are from the counts providers report, and corrects estimates.
///
/// Each observation contributes the ratio `reported / estimated`, clamped to
/// [``minimumFactor``, ``maximumFactor``]. The factor for a model is the median of its most recent
/// ``windowSize`` ratios (robust to outliers such as a cached or truncated call), or 1 before any observation.
/// Memory is bounded: at most ``windowSize`` ratios per model and ``maximumModels`` models, the least recently
/// updated model being forgotten first. Thread-safe.
public final class UsageCalibrator: Sendable {
    /// The smallest factor applied.
    public static let minimumFactor = 0.25
    /// The largest factor applied.
    public static let maximumFactor = 4.0

    /// How many recent observations per model the median is taken over.
    public let windowSize: Int
    /// How many models are tracked at most.
    public let maximumModels: Int

    private struct Samples {
        var ratios: [Double] = []
        var next = 0
        var lastUpdate: UInt64 = 0
    }

    private struct State {
        var models: [String: Samples] = [:]
        var clock: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Creates an empty calibrator.
    ///
    /// - Parameters:
    ///   - windowSize: Observations per model kept for the median (at least 1; default 50).
    ///   - maximumModels: Models tracked at most (at least 1; default 1024).
    public init(windowSize: Int = 50, maximumModels: Int = 1024) {
        self.windowSize = max(1, windowSize)
        self.maximumModels = max(1, maximumModels)
    }

    /// Records one call's estimate next to the count the provider reported.
    ///
    /// Observations with a non-positive estimate or a negative report are ignored.
    ///
    /// - Parameters:
    ///   - model: The model of the call.
    ///   - estimated: The local estimate (uncalibrated).
    ///   - reported: The provider's count for the same quantity.
    public func record(model: String, estimated: Int, reported: Int) {
        guard estimated > 0, reported >= 0 else { return }
        let ratio = min(max(Double(reported) / Double(estimated), Self.minimumFactor), Self.maximumFactor)
        let windowSize = self.windowSize
        let maximumModels = self.maximumModels
        state.withLock { state in
            state.clock &+= 1
            if state.models[model] == nil, state.models.count >= maximumModels,
                let oldest = state.models.min(by: { $0.value.lastUpdate < $1.value.lastUpdate })?.key
            {
                state.models[oldest] = nil
            }
            var samples = state.models[model] ?? Samples()
            if samples.ratios.count < windowSize {
                samples.ratios.append(ratio)
            } else {
                samples.ratios[samples.next] = ratio
            }
            samples.next = (samples.next + 1) % windowSize
            samples.lastUpdate = state.clock
            state.models[model] = samples
        }
    }

    /// The correction factor for `model`: the median recent ratio, or 1 with no observations.
    public func factor(for model: String) -> Double {
        let ratios = state.withLock { $0.models[model]?.ratios ?? [] }
        guard !ratios.isEmpty else { return 1 }
        let sorted = ratios.sorted()
        let middle = sorted.count / 2
        let median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
        return min(max(median, Self.minimumFactor), Self.maximumFactor)
    }

    /// How many observations currently inform the factor for `model` (at most ``windowSize``).
    public func observationCount(for model: String) -> Int {
        state.withLock { $0.models[model]?.ratios.count ?? 0 }
    }

    /// Applies the factor for `model` to an estimate, rounding up.
    ///
    /// - Returns: A count between 0 and ``TokenUsage/maximumCount``.
    public func calibrated(_ estimate: Int, model: String) -> Int {
        guard estimate > 0 else { return 0 }
        let scaled = (Double(estimate) * factor(for: model)).rounded(.up)
        return scaled >= Double(TokenUsage.maximumCount) ? TokenUsage.maximumCount : Int(scaled)
    }
}
