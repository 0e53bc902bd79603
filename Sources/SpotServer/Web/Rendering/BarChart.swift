import Foundation

/// A horizontal bar chart drawn as SVG by the `chart` template: one bar per label, scaled
/// to the largest value (or to each bar's own total, drawn behind it). Labels are data, so
/// the template escapes them like any other text.
struct BarChart {
    struct Bar {
        let label: String
        let value: String
        let y: Int
        let textY: Int
        let width: Int
        let totalWidth: Int
    }

    static let barArea = 420
    static let rowHeight = 32

    let bars: [Bar]
    let height: Int
    let unit: String
    let hasBars: Bool
    let width: Int

    init(bars: [(label: String, value: Double, total: Double?)], unit: String) {
        let scale = bars.map { max($0.value, $0.total ?? 0) }.max() ?? 0
        func scaled(_ value: Double) -> Int { scale > 0 ? Int((value / scale * Double(Self.barArea)).rounded()) : 0 }
        self.bars = bars.enumerated().map { index, bar in
            Bar(
                label: bar.label,
                value: bar.total.map { "\(Int(bar.value)) / \(Int($0))" } ?? String(Int(bar.value)),
                y: 12 + index * Self.rowHeight, textY: 12 + index * Self.rowHeight + 17, width: max(scaled(bar.value), bar.value > 0 ? 2 : 0),
                totalWidth: scaled(bar.total ?? 0))
        }
        height = 24 + bars.count * Self.rowHeight
        self.unit = unit
        hasBars = !bars.isEmpty
        width = 160 + Self.barArea + 100
    }
}
