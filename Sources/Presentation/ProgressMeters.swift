import BackupEngine
import RestoreEngine
import Terminal

// One wiring of the engines' progress callbacks to a meter, for the commands and the steps alike.

extension BackupProgress {
    /// SQL dumped as the meter's bytes, bytes stored as its output.
    public static func showing(
        _ meter: ProgressMeter, note: @escaping @Sendable (String) -> Void = { Console.error("note: \($0)\n") }
    ) -> BackupProgress {
        BackupProgress(dumped: { meter.add($0) }, stored: { meter.addOutput($0) }, noted: note)
    }
}

extension RestoreProgress {
    /// Each phase (download, apply) from zero with its size, bytes read, SQL applied as output.
    public static func showing(_ meter: ProgressMeter) -> RestoreProgress {
        RestoreProgress(
            begin: { phase, size in
                meter.restart(label: phase)
                meter.setTotal(size)
            },
            read: { meter.add($0) }, applied: { meter.addOutput($0) })
    }
}
