"""Checks the server's OpenAPI document and real responses against it.

Input (stdin): {"document": <openapi.json>, "samples": [{"schema": "User", "instance": {...}}, ...]}
Validates the document as OpenAPI 3.1 (openapi-spec-validator), then each sample
against #/components/schemas/<schema> (JSON Schema 2020-12, jsonschema). Prints every
problem and exits 1 if there is any.
"""
import json
import sys

from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry
from referencing.jsonschema import DRAFT202012

payload = json.load(sys.stdin)
document = payload["document"]
problems = []
try:
    validate(document)
except Exception as error:  # the validator raises several error types
    problems.append(f"document: {error}")

registry = Registry().with_resource("urn:openapi", DRAFT202012.create_resource(document))
for sample in payload["samples"]:
    schema = {"$ref": "urn:openapi#/components/schemas/" + sample["schema"]}
    validator = Draft202012Validator(schema, registry=registry)
    for error in validator.iter_errors(sample["instance"]):
        path = "/".join(str(part) for part in error.absolute_path)
        problems.append(f"{sample['schema']} at '{path}': {error.message}")

for problem in problems:
    print(problem)
sys.exit(1 if problems else 0)
