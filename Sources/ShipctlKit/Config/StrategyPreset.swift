import Foundation

/// Traffic-shifting presets named as AWS CodeDeploy names them, so CodeDeploy
/// users can keep the vocabulary: `CanaryNPercentMMinutes`,
/// `LinearNPercentEveryMMinutes` (also `Minute`), `AllAtOnce`.
public enum StrategyPreset {
    public static let examples = [
        "Canary10Percent5Minutes", "Canary10Percent10Minutes", "Canary10Percent15Minutes", "Canary10Percent30Minutes",
        "Linear10PercentEvery1Minute", "Linear10PercentEvery2Minutes", "Linear10PercentEvery3Minutes",
        "Linear10PercentEvery10Minutes", "AllAtOnce",
    ]

    public static func steps(named name: String) -> [CanaryStep]? {
        if name == "AllAtOnce" { return [CanaryStep(weight: 100, pause: .zero)] }
        if let (percent, minutes) = numbers(in: name, prefix: "Canary", middle: "Percent") {
            return [
                CanaryStep(weight: Double(percent), pause: .seconds(minutes * 60)),
                CanaryStep(weight: 100, pause: .zero),
            ]
        }
        if let (percent, minutes) = numbers(in: name, prefix: "Linear", middle: "PercentEvery") {
            let weights = stride(from: percent, to: 100, by: percent)
            return weights.map { CanaryStep(weight: Double($0), pause: .seconds(minutes * 60)) } + [
                CanaryStep(weight: 100, pause: .zero)
            ]
        }
        return nil
    }

    private static func numbers(in name: String, prefix: String, middle: String) -> (Int, Int)? {
        guard name.hasPrefix(prefix) else { return nil }
        var rest = name.dropFirst(prefix.count)
        let percentText = rest.prefix { $0.isASCII && $0.isNumber }
        rest = rest.dropFirst(percentText.count)
        guard rest.hasPrefix(middle) else { return nil }
        rest = rest.dropFirst(middle.count)
        let minutesText = rest.prefix { $0.isASCII && $0.isNumber }
        rest = rest.dropFirst(minutesText.count)
        guard rest == "Minutes" || rest == "Minute",
            let percent = Int(percentText), (1...99).contains(percent),
            let minutes = Int(minutesText), (1...1440).contains(minutes)
        else { return nil }
        return (percent, minutes)
    }
}
