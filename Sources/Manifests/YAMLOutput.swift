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
        try render(.object([
            "apiVersion": .string("kustomize.config.k8s.io/v1beta1"),
            "kind": .string("Kustomization"),
            "namespace": namespace.map(JSON.string),
            "resources": .array(files.map(JSON.string)),
        ]))
    }
}
