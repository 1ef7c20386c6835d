import Foundation
import Yams

/// The CRD schemas embedded in the tool, and validation of whole documents against them.
public enum ManifestCatalog {
    public static let apiGroups = ["enterprise.mariadb.com", "k8s.mariadb.com"]
    public static var kinds: [String] { CRDSchemas.json.keys.sorted() }

    private static let parsed: [String: JSON] = CRDSchemas.json.compactMapValues { try? JSON.parse(json: $0) }

    /// The openAPIV3Schema of a kind, nil for a kind the tool does not carry.
    public static func schema(kind: String) -> JSON? { parsed[kind] }

    static let objectMetaFields = [
        "name", "namespace", "labels", "annotations", "generateName", "finalizers", "ownerReferences",
    ]

    static let dns1123Subdomain = try! NSRegularExpression(
        pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
    static let dns1123Label = try! NSRegularExpression(pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

    /// A DNS-1123 subdomain (what Kubernetes wants of most names), at most 253 characters. Pure.
    public static func isDNS1123Subdomain(_ name: String) -> Bool {
        name.count <= 253 && dns1123Subdomain.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
    }

    /// The rules every generated set of CRs shares: a known API group, the MariaDB's name and the
    /// namespace as DNS-1123 labels. One message per fault. Pure.
    public static func problems(apiGroup: String, mariaDB: String, namespace: String?) -> [String] {
        var problems: [String] = []
        if !apiGroups.contains(apiGroup) {
            problems.append("API group '\(apiGroup)' is not one of \(apiGroups.joined(separator: ", "))")
        }
        if !isDNS1123Label(mariaDB) {
            problems.append(
                "MariaDB name '\(mariaDB)' is not a DNS-1123 label: lowercase letters, digits and '-', at most 63, "
                    + "starting and ending with a letter or digit")
        }
        if let namespace, !isDNS1123Label(namespace) {
            problems.append("namespace '\(namespace)' is not a DNS-1123 label")
        }
        return problems
    }

    /// A DNS-1123 label (one part, at most 63): a MariaDB's name becomes Service and Pod names.
    public static func isDNS1123Label(_ name: String) -> Bool {
        name.count <= 63 && dns1123Label.firstMatch(in: name, range: NSRange(name.startIndex..., in: name)) != nil
    }

    /// Every fault of one document: apiVersion and kind, metadata.name, then the kind's schema.
    public static func validate(_ document: JSON) -> [SchemaIssue] {
        guard case .object = document else { return [SchemaIssue(path: "", message: "a manifest must be a mapping")] }
        guard let apiVersion = document["apiVersion"]?.string else {
            return [SchemaIssue(path: "apiVersion", message: "is required")]
        }
        guard let kind = document["kind"]?.string else { return [SchemaIssue(path: "kind", message: "is required")] }
        var issues: [SchemaIssue] = []
        let name = document["metadata"]?["name"]?.string
        if let name {
            if !isDNS1123Subdomain(name) {
                issues.append(
                    SchemaIssue(
                        path: "metadata.name",
                        message:
                            "'\(name)' is not a DNS-1123 name: lowercase letters, digits, '-' and '.', starting and "
                            + "ending with a letter or digit"
                    ))
            } else if kind == "MariaDB" && !isDNS1123Label(name) {
                issues.append(
                    SchemaIssue(
                        path: "metadata.name",
                        message:
                            "'\(name)' must be a DNS-1123 label for a MariaDB (no dots, at most 63 characters): it "
                            + "names Services and Pods"
                    ))
            }
        } else {
            issues.append(SchemaIssue(path: "metadata.name", message: "is required"))
        }
        if kind == "Secret" {
            guard apiVersion == "v1" else {
                return issues + [
                    SchemaIssue(path: "apiVersion", message: "'\(apiVersion)' is not v1, the Secret's version")
                ]
            }
            for key in ["data", "stringData"] {
                guard let map = document[key] else { continue }
                guard case .object(let entries) = map else {
                    issues.append(SchemaIssue(path: key, message: "expected a mapping"))
                    continue
                }
                for entry in entries where entry.value.string == nil {
                    issues.append(
                        SchemaIssue(
                            path: "\(key).\(entry.key)", message: "expected a string, found \(entry.value.typeName)"))
                }
            }
            return issues
        }
        let parts = apiVersion.split(separator: "/")
        guard parts.count == 2, apiGroups.contains(String(parts[0])), parts[1] == "v1alpha1" else {
            return issues + [
                SchemaIssue(
                    path: "apiVersion",
                    message:
                        "'\(apiVersion)' is not one of \(apiGroups.map { "\($0)/v1alpha1" }.joined(separator: ", "))")
            ]
        }
        guard let schema = schema(kind: kind) else {
            return issues + [
                SchemaIssue(
                    path: "kind",
                    message: "'\(kind)' is not a kind this tool validates (\(kinds.joined(separator: ", ")))")
            ]
        }
        // metadata is the API server's ObjectMeta, which the CRD schema leaves as a bare object.
        if case .object(let fields)? = document["metadata"] {
            for field in fields where !objectMetaFields.contains(field.key) {
                issues.append(
                    SchemaIssue(
                        path: "metadata.\(field.key)",
                        message: "unknown field; known fields: \(objectMetaFields.joined(separator: ", "))"))
            }
        }
        guard case .object(let fields) = document else { return issues }
        return issues + SchemaValidator.validate(.object(fields.filter { $0.key != "metadata" }), against: schema)
            + validationRules(document, schema: schema)
    }

    /// The CRDs' `x-kubernetes-validations` this tool evaluates, by their exact CEL text: today the
    /// mariadbs CRD's one rule (Galera needs an odd number of replicas unless replicasAllowEvenNumber).
    /// The message is the CRD's own. A rule the tool does not know is left to the API server.
    static let knownRules: [String: @Sendable (JSON) -> Bool] = [
        "!has(self.galera) || !self.galera.enabled || (self.replicas % 2 == 1 || self.replicasAllowEvenNumber)": {
            spec in
            guard spec["galera"]?["enabled"] == .bool(true) else { return true }
            let replicas: Int64
            if case .int(let value)? = spec["replicas"] { replicas = value } else { replicas = 1 }  // the CRD's default
            return replicas % 2 == 1 || spec["replicasAllowEvenNumber"] == .bool(true)
        }
    ]

    static func validationRules(_ document: JSON, schema: JSON) -> [SchemaIssue] {
        guard let spec = document["spec"],
            case .array(let rules)? = schema["properties"]?["spec"]?["x-kubernetes-validations"]
        else { return [] }
        return rules.compactMap { rule in
            guard let text = rule["rule"]?.string, let check = knownRules[text], !check(spec) else { return nil }
            return SchemaIssue(path: "spec", message: rule["message"]?.string ?? "fails the rule \(text)")
        }
    }

    /// Reads every document of a YAML stream.
    public static func documents(yaml text: String) throws -> [JSON] {
        do {
            return try Yams.compose_all(yaml: text).map { JSON.from(yaml: $0) }
        } catch {
            throw ManifestError.invalidDocument(path: "", reason: "not valid YAML: \(error)")
        }
    }
}
