import Foundation

/// The audit actions the engine writes; the derived state reads the same names.
public enum AuditAction {
    public static let deploymentStart = "deployment.start"
    public static let deploymentFinish = "deployment.finish"
    public static let terraformApply = "terraform.apply"
    public static let versionPublish = "version.publish"
    public static let trafficShift = "traffic.shift"
    public static let trafficComplete = "traffic.complete"
    public static let trafficRevert = "traffic.revert"
    public static let smoke = "smoke"
    public static let analysis = "analysis"
    public static let flagSet = "flag.set"
    public static let rollback = "rollback"
    public static let lockTakeover = "lock.takeover"
    public static let deploymentResume = "deployment.resume"
    /// A cancelled promote that left traffic where it was (`--on-cancel=hold`).
    public static let deploymentHold = "deployment.hold"
    public static let previewUp = "preview.up"
    public static let previewDown = "preview.down"
    public static let previewSecret = "preview.secret"
    public static let terraformDestroy = "terraform.destroy"
    public static let notify = "notify"
}
