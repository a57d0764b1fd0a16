"""Fails when openapi/buzzin.yaml claims more than Buzz-In's documentation states, unflagged.

Usage: python3 .ci/spec-assumptions.py [SPEC]   (default: openapi/buzzin.yaml)

Every `required` entry, every closed `enum`, every response status code and every security
requirement of the spec must be either documented (listed in DOCUMENTED below, each with the
documented fact) or marked `x-buzzin-assumed: true` on itself or on an enclosing item (a schema,
a response, an operation; a `$ref`'d response counts with its component's flag). A security
requirement is marked by its operation's `x-buzzin-assumed-security` (the reason), as a security
requirement object cannot carry an extension. `x-extensible-enum`s are open (any value is
accepted), so they claim nothing and are not checked.
"""

import re
import sys

try:
    import yaml

    def load(path):
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)

except ImportError:  # the CI image may carry ruamel.yaml only
    from ruamel.yaml import YAML

    def load(path):
        with open(path, encoding="utf-8") as f:
            return YAML(typ="safe").load(f)


# What the documentation states, as `location: value` patterns (`*` matches anything), with the
# documented fact.
DOCUMENTED = {
    # Security: the API key (its header name is assumed on the security scheme).
    "security: apiKey": "an API key is scoped to one community and acts with admin rights",
    # External NFC visit.
    "components.schemas.ExternalNfcVisitRequest.required: *":
        "visitType, deviceSecret and documentId are required",
    "components.schemas.ExternalNfcVisitRequest.allOf[0].anyOf[*].required: *":
        "phone or email, at least one",
    "components.schemas.ExternalNfcVisitType.enum: externalNfc": "the app sends visitType externalNfc",
    "paths./visits.post.responses.2XX": "a success body is shown, its status code is not: any 2xx",
    "paths./visits.post.responses.400": "errors are 400 with the Feathers shape",
    # Files.
    "components.schemas.FileInput.required: type": "a file is given with its type",
    "components.schemas.FileInput.allOf[0].oneOf[0].required: *": 'the url form: {"type": "url", "url"}',
    # The open branch claims nothing: it takes every type the other branches do not name, since
    # the documentation lists no values.
    "components.schemas.FileInput.allOf[0].oneOf[2].required: type": "a file is given with its type",
    "components.schemas.FileInput.allOf[0].oneOf[2].properties.type.not.enum: *":
        "any type but the two named above: the documentation lists no values",
    # Create contractor.
    "paths./communityContractors.post.responses.201": "response 201: the contractor",
    "paths./communityContractors.post.responses.409": "duplicates are rejected with 409",
    # Revoke / approve contractor.
    "components.schemas.UpdateContractorRequest.required: action": 'body {"action": "revoke"|"approve"}',
    "components.schemas.ContractorAction.enum: *": "the actions revoke and approve",
    "paths./communityContractors/{id}.patch.responses.200": '200 "Contractor updated."',
    "paths./communityContractors/{id}.patch.responses.401": "401 is listed",
    "paths./communityContractors/{id}.patch.responses.404": '404 "Record Not Found"',
    # Create permit.
    "paths./permits.post.responses.2XX": "the DRAFT body is shown, its status code is not: any 2xx",
    "paths./permits.post.responses.404": "references that cannot be resolved give 404",
    "paths./permits.post.responses.409": "a duplicate salesforcePermitId gives 409",
    # Update permit: replace the NOC.
    "components.schemas.NocReplacement.required: *": '{"action": "replaceNoc", "noc": {...}}',
    "components.schemas.NocReplacementAction.enum: replaceNoc": "the action replaceNoc",
    # Pass actions.
    "components.schemas.PassAction.required: action": "the body selects an action",
    "components.schemas.PassAction.properties.action.enum: *": "the actions revoke, reissuePass, submit",
    "components.schemas.PassAction.allOf[0].oneOf[*].required: action": "each action is an action",
    "paths./passes/{id}.patch.responses.200": '200 "Pass updated." with body {}',
    "paths./passes/{id}.patch.responses.400": "400 is listed",
    "paths./passes/{id}.patch.responses.401": "401 is listed",
    "paths./passes/{id}.patch.responses.404": "404 is listed",
    # Webhooks.
    "components.schemas.WebhookEnvelope.required: *": 'the envelope {"id", "event", "communityId", "createdAt", "data"}',
    "webhooks.*.post.responses.2XX": "a 2xx acknowledges a delivery",
}


def flagged(node):
    return isinstance(node, dict) and node.get("x-buzzin-assumed") is True


PATTERNS = [
    re.compile("^" + ".*".join(re.escape(part) for part in pattern.split("*")) + "$")
    for pattern in DOCUMENTED
]


def documented(entry):
    return any(pattern.match(entry) for pattern in PATTERNS)


def check(spec):
    problems = []
    components = spec.get("components", {})

    def response_flagged(response):
        ref = response.get("$ref", "") if isinstance(response, dict) else ""
        if ref.startswith("#/components/responses/"):
            return flagged(components.get("responses", {}).get(ref.rsplit("/", 1)[1]))
        return flagged(response)

    def claim(entry, covered):
        if not covered and not documented(entry):
            problems.append(entry)

    def walk(node, path, covered):
        if isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, f"{path}[{i}]", covered)
            return
        if not isinstance(node, dict):
            return
        covered = covered or flagged(node)
        for value in node.get("required", []) if isinstance(node.get("required"), list) else []:
            claim(f"{path}.required: {value}", covered)
        if isinstance(node.get("enum"), list):
            for value in node["enum"]:
                claim(f"{path}.enum: {value}", covered)
        if isinstance(node.get("responses"), dict) and path != "components":
            for status, response in node["responses"].items():
                claim(f"{path}.responses.{status}", covered or response_flagged(response))
        if isinstance(node.get("security"), list):
            security_covered = covered or isinstance(node.get("x-buzzin-assumed-security"), str)
            for requirement in node["security"]:
                for scheme in requirement or {}:
                    where = f"{path}.security" if path else "security"
                    claim(f"{where}: {scheme}", security_covered)
        for key, child in node.items():
            if key in ("responses", "security", "examples", "example"):
                if key == "responses" and isinstance(child, dict):
                    for status, response in child.items():
                        walk(response, f"{path}.responses.{status}", covered)
                continue
            if key == "required" and isinstance(child, list):
                continue
            walk(child, f"{path}.{key}" if path else key, covered)

    walk(spec, "", False)
    return problems


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "openapi/buzzin.yaml"
    problems = check(load(path))
    if problems:
        print(
            f"{path}: {len(problems)} claim(s) neither documented nor marked x-buzzin-assumed "
            "(mark them, with the reason, or add the documented fact to DOCUMENTED in "
            ".ci/spec-assumptions.py):",
            file=sys.stderr,
        )
        for entry in problems:
            print(f"  {entry}", file=sys.stderr)
        sys.exit(1)
    print(f"{path}: every required entry, enum, status code and security entry is documented or assumed")


if __name__ == "__main__":
    main()
