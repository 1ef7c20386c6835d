import Foundation
import Hashing
import ObjectStore
import TestSupport
import Testing

/// `rename`: a physical backup takes its name only at its end. Never replaces, leaves one object.
@Suite struct DirectoryRenameTests {
    @Test func renamesWithoutReplacing() async throws {
        let store = try DirectoryStore(
            path: FileManager.default.temporaryDirectory.appendingPathComponent("mm-ren-\(UUID().uuidString)").path,
            create: true)
        try await store.put(name: "a.partial", bytes: [1, 2, 3])
        try await store.rename("a.partial", to: "a")
        #expect(try await store.list().map(\.name) == ["a"])
        #expect(try await store.getAll(name: "a") == [1, 2, 3])
        try await store.put(name: "b.partial", bytes: [4])
        await #expect(throws: ObjectStoreError.exists(location: store.location + "a")) {
            try await store.rename("b.partial", to: "a")
        }
        #expect(try await store.getAll(name: "a") == [1, 2, 3])
        #expect(try await store.list().map(\.name) == ["a", "b.partial"])
    }
}

@Suite(.enabled(if: TestEnvironment.serversExpected, "needs scripts/test-env up"))
struct S3RenameTests {
    /// One CopyObject below the limit; above it, UploadPartCopy part by part (parts in flight).
    @Test(arguments: [false, true])
    func copiesOnTheServerThenDeletes(multipart: Bool) async throws {
        let store = try await testS3Store()
        if multipart {
            store.singleCopyLimit = 1 << 20
            store.copyPartBytes = UInt64(fiveMiB)
        }
        let data = randomBytes(2 * fiveMiB + 12345, seed: 7)
        _ = try await store.put(name: "x.partial", bytes: data)
        try await store.rename("x.partial", to: "x")
        #expect(try await store.list().map(\.name) == ["x"])
        #expect(sha(try await store.getAll(name: "x")) == sha(data))
        #expect(try await store.unfinishedWrites().isEmpty)
        _ = try await store.put(name: "y.partial", bytes: [1])
        await #expect(throws: ObjectStoreError.exists(location: store.location + "x")) {
            try await store.rename("y.partial", to: "x")
        }
        #expect(sha(try await store.getAll(name: "x")) == sha(data))
    }
}
