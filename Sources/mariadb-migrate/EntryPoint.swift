import MigrateCommands

@main
struct EntryPoint {
    static func main() async {
        await MariaDBMigrate.main(nil)
    }
}
