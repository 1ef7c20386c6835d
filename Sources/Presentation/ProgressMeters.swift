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
            read: { meter.add($0) }, applied: { meter.addOutput($0) }, skipped: { meter.addSkipped($0) },
            resumed: { point in
                meter.announce(
                    "resuming the restore of \(point.backup) started \(point.started): \(point.statements) "
                        + "statements (\(ByteFormat.string(point.sqlBytes)) of SQL, \(point.rows) rows) were applied "
                        + "and are skipped",
                    event: [
                        "event": "resume", "backup": point.backup, "started": point.started,
                        "statements_applied": point.statements, "sql_bytes_applied": point.sqlBytes,
                        "rows_loaded": point.rows, "tables": point.tables.count, "reloaded": point.reloaded,
                    ])
            },
            note: { meter.announce($0, event: ["event": "note", "message": $0]) })
    }
}
