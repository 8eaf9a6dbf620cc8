"""Checks one Fortnox exchange (method, URL, bodies) against the spec; returns violations."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .spec import FortnoxSpec, Operation

# Paging and ordering parameters Fortnox accepts on every list (documented once, not per path).
PAGING_PARAMS = frozenset({"limit", "page", "offset", "sortorder"})


@dataclass(frozen=True)
class Violation:
    operation: str  # "PUT /3/invoices/{DocumentNumber}", or the method and shape of a bad path
    kind: str  # path | method | query | enum | query-type | request-body | response-status | …
    field: str  # the parameter or body field, e.g. "Invoice.InvoiceRows[].DeliveredQuantity"
    detail: str

    def __str__(self) -> str:
        where = f" {self.field}" if self.field else ""
        return f"{self.operation}: {self.kind}{where}: {self.detail}"


def find_operation(
    spec: FortnoxSpec, method: str, parts: list[str]
) -> tuple[Operation | None, list[Violation]]:
    """The spec's operation for ``method`` on the path segments, or a path/method violation."""
    template = spec.match(parts)
    if template is None:
        shape = spec.shape_of(parts)
        path = "/" + "/".join(parts)
        return None, [Violation(f"{method} {shape}", "path", "", f"no spec path matches {path}")]
    operation = spec.operations.get((method, template))
    if operation is None:
        allowed = ", ".join(spec.methods_of(template))
        detail = f"method not declared (spec has {allowed})"
        return None, [Violation(f"{method} {template}", "method", "", detail)]
    return operation, []


def check_query(operation: Operation, params: Iterable[tuple[str, str]]) -> list[Violation]:
    found: list[Violation] = []
    seen: set[str] = set()
    for name, value in params:
        seen.add(name)
        if name in PAGING_PARAMS:
            continue
        declared = operation.query.get(name)
        if declared is None:
            detail = f"undeclared query parameter ({name}={value})"
            found.append(Violation(operation.name, "query", name, detail))
        elif declared.enum is not None and value not in declared.enum:
            allowed = ", ".join(declared.enum)
            detail = f"{value!r} is not one of {allowed}"
            found.append(Violation(operation.name, "enum", name, detail))
        elif not _fits_type(declared.type, value):
            detail = f"{value!r} is not a {declared.type}"
            found.append(Violation(operation.name, "query-type", name, detail))
    for name, declared in operation.query.items():
        if declared.required and name not in seen:
            found.append(Violation(operation.name, "query", name, "required parameter missing"))
    return found


def check_request_body(
    operation: Operation, content: bytes, content_type: str | None
) -> list[Violation]:
    if not content:
        return []
    if not operation.request_declared:
        return [Violation(operation.name, "request-body", "", "the spec declares no body")]
    validator = operation.request_validator()
    if validator is None:
        return []
    document, problem = _parse_json(content, content_type)
    if problem:
        return [Violation(operation.name, "request-body", "", problem)]
    # PUT/PATCH change only the fields they send (Fortnox's update semantics), so the payload
    # schema's required fields (shared with create) are not demanded there.
    partial = operation.method in ("PUT", "PATCH")
    return _schema_violations(operation.name, "request-body", validator, document, partial=partial)


def check_response(
    operation: Operation, status: int, content: bytes, content_type: str | None
) -> list[Violation]:
    validator, declared = operation.response_validator(status)
    found: list[Violation] = []
    if not declared:
        codes = ", ".join(operation.responses)
        found.append(
            Violation(operation.name, "response-status", str(status), f"spec declares {codes}")
        )
    if validator is None or not content:
        return found
    document, problem = _parse_json(content, content_type)
    if problem:
        return [*found, Violation(operation.name, "response-body", "", problem)]
    return found + _schema_violations(operation.name, "response-body", validator, document)


def _fits_type(kind: str | None, value: str) -> bool:
    if kind == "integer":
        return value.lstrip("-").isdigit()
    if kind == "number":
        try:
            float(value)
        except ValueError:
            return False
        return True
    if kind == "boolean":
        return value in ("true", "false")
    return True


def _parse_json(content: bytes, content_type: str | None) -> tuple[Any, str | None]:
    try:
        return json.loads(content), None
    except ValueError:
        return None, f"not JSON (Content-Type {content_type or 'missing'})"


def _schema_violations(
    operation: str, kind: str, validator: Any, document: Any, *, partial: bool = False
) -> list[Violation]:
    found: dict[str, Violation] = {}
    for error in validator.iter_errors(document):
        if partial and error.validator == "required":
            continue
        if error.validator == "type" and _field_path(error.absolute_path) in found:
            continue  # a null is refused twice (nullable, type): describe it once
        for field, detail in _describe(error):
            found.setdefault(field, Violation(operation, kind, field, detail))
    return list(found.values())


def _describe(error: Any) -> list[tuple[str, str]]:
    """(field, detail) pairs for one ``jsonschema`` error; array indices fold to ``[]``."""
    base = _field_path(error.absolute_path)
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        declared = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = [name for name in instance if name not in declared]
        return [(_join(base, name), "field not in the schema") for name in extra]
    if error.validator == "required" and isinstance(error.validator_value, list):
        missing = [
            n for n in error.validator_value if isinstance(instance, dict) and n not in instance
        ]
        return [(_join(base, name), "required field missing") for name in missing]
    if error.validator == "type":
        got = "null" if instance is None else type(instance).__name__
        return [(base, f"{_short(instance)} ({got}) where the spec types {error.validator_value}")]
    return [(base, f"{error.validator}: {error.message[:160]}")]


def _field_path(path: Iterable[Any]) -> str:
    text = ""
    for part in path:
        text = f"{text}[]" if isinstance(part, int) else _join(text, str(part))
    return text


def _join(base: str, name: str) -> str:
    return f"{base}.{name}" if base else name


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 40 else text[:37] + "..."
