#!/usr/bin/env python3
"""Validates manifests with Python's jsonschema against fixtures/crds, independently of the tool's
own validator: each CR against its kind's v1alpha1 openAPIV3Schema, with unknown fields refused
where the schema does not preserve them (additionalProperties: false, as strict field validation).

    python3 scripts/validate-manifests.py FILE.yaml...     (exit 1 on any fault)
"""
import copy, pathlib, sys
import jsonschema, yaml

root = pathlib.Path(__file__).resolve().parent.parent
schemas = {}
for path in (root / "fixtures" / "crds").glob("*.yaml"):
    crd = yaml.safe_load(path.read_text())
    version = next(v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1")
    schemas[crd["spec"]["names"]["kind"]] = version["schema"]["openAPIV3Schema"]

def strict(node):
    """openAPIV3Schema → JSON Schema: closed objects, int-or-string, nullable."""
    if isinstance(node, dict):
        node = {k: strict(v) for k, v in node.items()}
        if node.get("x-kubernetes-int-or-string"):
            node.pop("type", None)
            node["anyOf"] = [{"type": "integer"}, {"type": "string"}]
        if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node \
                and not node.get("x-kubernetes-preserve-unknown-fields"):
            node["additionalProperties"] = False
        if node.get("nullable") and "type" in node:
            node["type"] = [node["type"], "null"]
        return node
    if isinstance(node, list):
        return [strict(v) for v in node]
    return node

class KubernetesLoader(yaml.SafeLoader):
    """Reads timestamps as strings, as Kubernetes does."""

KubernetesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

validators = {}
faults = 0
count = 0
for name in sys.argv[1:]:
    for index, document in enumerate(yaml.load_all(open(name), Loader=KubernetesLoader)):
        if document is None:
            continue
        count += 1
        kind = document.get("kind")
        if kind in ("Secret", "Kustomization"):
            continue
        if kind not in schemas:
            print(f"{name}#{index + 1}: kind {kind!r} has no schema"); faults += 1; continue
        body = copy.deepcopy(document)
        body.pop("metadata", None)
        schema = strict(copy.deepcopy(schemas[kind]))
        schema["properties"].pop("metadata", None)
        validator = validators.setdefault(kind, jsonschema.Draft4Validator(schema))
        for error in validator.iter_errors(body):
            print(f"{name}#{index + 1} ({kind}): {'.'.join(map(str, error.absolute_path)) or '(document)'}: {error.message}")
            faults += 1
print(f"jsonschema: {count} documents, {faults} faults", file=sys.stderr)
sys.exit(1 if faults else 0)
