import CShims
import Foundation
import MigrateCommands

@main
struct EntryPoint {
    static func main() async {
        // Part buffers are megabytes each: keep them in their own mappings so a freed buffer goes
        // back to the system at once (glibc otherwise raises the threshold after the first free
        // and keeps freed parts in the heap, which shows as RSS).
        mm_set_mmap_threshold(1 << 20)
        // A child (mariadb) that dies while we feed it must surface as an error, not kill us.
        signal(SIGPIPE, SIG_IGN)
        await MariaDBMigrate.main(nil)
    }
}
