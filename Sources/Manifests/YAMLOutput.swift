import AtomicFile
import Foundation
import Yams

public enum YAMLOutput {
    /// One document as YAML text (keys in the order generated).
    public static func render(_ json: JSON) throws -> String {
        try Yams.serialize(node: json.yamlNode, indent: 2, width: -1, allowUnicode: true, sortKeys: false)
    }

    /// Several documents as one multi-document stream.
    public static func stream(_ documents: [JSON]) throws -> String {
        try documents.map { "---\n" + (try render($0)) }.joined()
    }

    /// `kustomization.yaml` listing `files` (and the namespace when set).
    public static func kustomization(files: [String], namespace: String?) throws -> String {
        try render(
            .object([
                "apiVersion": .string("kustomize.config.k8s.io/v1beta1"),
                "kind": .string("Kustomization"),
                "namespace": namespace.map(JSON.string),
                "resources": .array(files.map(JSON.string)),
            ]))
    }
}

public enum ManifestDirectory {
    /// Writes each document to its own file (Secrets with mode 0600), `extra` files, and a
    /// `kustomization.yaml` listing the documents. Everything is rendered first and each file is
    /// written aside and renamed, so nothing is left half-written. Returns the file names.
    /// `resources` are further kustomization entries (a sibling directory such as `../accounts`).
    public static func write(
        _ documents: [ManifestDocument], extra: [(name: String, text: String, secret: Bool)] = [],
        resources: [String] = [], to directory: String
    ) throws -> [(name: String, secret: Bool)] {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var files: [(String, String, Bool)] = try documents.map {
            ($0.fileName, try YAMLOutput.render($0.json), $0.isSecret)
        }
        files += extra.map { ($0.name, $0.text, $0.secret) }
        files.append(
            (
                "kustomization.yaml",
                try YAMLOutput.kustomization(files: documents.map(\.fileName) + resources, namespace: nil), false
            ))
        for (file, text, secret) in files {
            let path = (directory as NSString).appendingPathComponent(file)
            do {
                try AtomicFile.write(
                    Data(text.utf8), to: path, permissions: secret ? 0o600 : 0o644,
                    temporary: (directory as NSString).appendingPathComponent(".\(file).partial"))
            } catch let failure as AtomicFile.Failure {
                throw ManifestError.unreadable(path: failure.path, reason: failure.reason)
            }
        }
        return files.map { ($0.0, $0.2) }
    }
}
