"""Checks what openapi-python-client generated from openapi/buzzin.yaml (CI: .ci/sim-conformance.sh).

Usage: python python_client_check.py SPEC GENERATED_PARENT_DIR

- every operation of the spec has its module, with `sync_detailed` and `asyncio_detailed`;
- every request body is a generated model class, not `Any`;
- every request example of the spec round-trips through that class (`from_dict` then
  `to_dict`) to the same JSON, so a Python team can send exactly what the spec documents.
"""

import datetime
import importlib
import inspect
import re
import sys
import typing

from ruamel.yaml import YAML


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def normalized(value):
    """JSON with every date-time string as its UTC instant (the client writes `+00:00`)."""
    if isinstance(value, dict):
        return {k: normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)", value):
        instant = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return instant.astimezone(datetime.timezone.utc).isoformat()
    return value


def plain(value):
    """ruamel's YAML nodes as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def body_classes(module) -> list:
    annotation = inspect.signature(module._get_kwargs).parameters["body"].annotation
    if isinstance(annotation, str):
        annotation = eval(annotation, vars(module))  # noqa: S307 - generated code's own names
    classes = list(typing.get_args(annotation)) or [annotation]
    return classes


def main() -> int:
    spec_path, parent = sys.argv[1], sys.argv[2]
    sys.path.insert(0, parent)
    spec = plain(YAML(typ="safe").load(open(spec_path)))
    failures = []
    operations = 0
    examples = 0
    for item in spec["paths"].values():
        for op in item.values():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            operations += 1
            op_id = op["operationId"]
            tag = snake(op["tags"][0]) if op.get("tags") else "default"
            name = f"buzzin_api.api.{tag}.{snake(op_id)}"
            try:
                module = importlib.import_module(name)
            except ImportError as error:
                failures.append(f"{op_id}: no module {name} ({error})")
                continue
            for function in ("sync_detailed", "asyncio_detailed"):
                if not hasattr(module, function):
                    failures.append(f"{op_id}: {name} has no {function}")
            body = op.get("requestBody")
            if body is None:
                continue
            classes = body_classes(module)
            if any(c is typing.Any or not hasattr(c, "from_dict") for c in classes):
                failures.append(f"{op_id}: the request body is {classes}, not a model class")
                continue
            by_name = {c.__name__: c for c in classes}
            for example_name, example in body["content"]["application/json"].get("examples", {}).items():
                examples += 1
                model = example.get("x-buzzin-model")
                cls = by_name.get(model) if model else classes[0] if len(classes) == 1 else None
                if cls is None:
                    failures.append(f"{op_id}/{example_name}: no class for {model} in {list(by_name)}")
                    continue
                sent = cls.from_dict(example["value"]).to_dict()
                if normalized(sent) != normalized(example["value"]):
                    failures.append(
                        f"{op_id}/{example_name}: {cls.__name__} sends {sent}, not {example['value']}"
                    )
    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"{operations} operations, {examples} request examples round-tripped, {len(failures)} failures")
    return 1 if failures or operations == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
