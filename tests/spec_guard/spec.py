"""Fortnox's OpenAPI spec, loaded once and indexed for cheap per-request look-ups.

Paths are matched by segment count and literal segments; schema validators (OpenAPI 3.0
dialect, ``$ref`` resolved against the whole document) are built on first use and cached.
Request bodies are checked *closed*: a field that the operation's request schema does not
declare is a violation (Fortnox refuses unknown fields, and a read-only field must never be
written). Responses are checked as the spec says, open to extra fields (real list answers carry
``MetaInformation``, which most list schemas omit).
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from openapi_schema_validator import OAS30Validator, oas30_format_checker

SPEC_FILE = "fortnox-openapi.json"
SPECS_DIR_ENV = "UFS_SPECS_DIR"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def specs_dir(repo_root: Path, environ: Mapping[str, str] = os.environ) -> Path:
    """Where the spec lies: ``$UFS_SPECS_DIR`` or ``../shared/reference/specs`` of the repo."""
    configured = environ.get(SPECS_DIR_ENV)
    if configured:
        return Path(configured)
    return repo_root.parent / "shared" / "reference" / "specs"


@dataclass(frozen=True)
class QueryParam:
    name: str
    type: str | None
    enum: tuple[str, ...] | None
    required: bool


@dataclass
class Operation:
    """One method on one path template, with what the guard checks of it."""

    method: str
    template: str
    operation_id: str
    query: dict[str, QueryParam]
    request_schema: dict[str, Any] | None
    request_declared: bool
    responses: dict[str, dict[str, Any] | None]
    spec: FortnoxSpec = field(repr=False)
    _validators: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def name(self) -> str:
        return f"{self.method} {self.template}"

    def request_validator(self) -> Any | None:
        if self.request_schema is None:
            return None
        if "request" not in self._validators:
            self._validators["request"] = self.spec.validator(self.request_schema, closed=True)
        return self._validators["request"]

    def response_validator(self, status: int) -> tuple[Any | None, bool]:
        """The validator for an answer with ``status``, and whether the spec declares it."""
        key = str(status)
        declared = key in self.responses
        if not declared:
            if status >= 400 or not any(code.startswith("2") for code in self.responses):
                key = "default"
            else:
                key = next(code for code in self.responses if code.startswith("2"))
        schema = self.responses.get(key)
        if schema is None:
            return None, declared or key in self.responses
        if key not in self._validators:
            self._validators[key] = self.spec.validator(schema, closed=False)
        return self._validators[key], declared or key == "default"


_PARAM = re.compile(r"^\{[^}]+\}$")


@dataclass(frozen=True)
class _Template:
    template: str
    segments: tuple[str | None, ...]  # None marks a path parameter
    literals: int


class FortnoxSpec:
    """The parsed spec: path index, operations, and cached schema validators."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._open_root = {"components": document.get("components", {})}
        self._by_length: dict[int, list[_Template]] = {}
        # Literals at a position after a given prefix shape: such a value is never a parameter
        # there (``/3/prices/sublist/A`` is not price list "sublist", article "A").
        self._reserved: dict[tuple[str | None, ...], set[str]] = {}
        self.operations: dict[tuple[str, str], Operation] = {}
        self.prefixes: set[str] = set()
        self.literal_segments: set[str] = set()
        self._validators: dict[tuple[str, bool], Any] = {}
        for template, item in document.get("paths", {}).items():
            self._index_path(template, item)
        for candidates in self._by_length.values():
            candidates.sort(key=lambda entry: -entry.literals)

    @classmethod
    def load(cls, path: Path) -> FortnoxSpec:
        with path.open(encoding="utf-8") as handle:
            return cls(json.load(handle))

    # --- paths ------------------------------------------------------------------------------

    def _index_path(self, template: str, item: dict[str, Any]) -> None:
        raw = template.strip("/").split("/")
        segments = tuple(None if _PARAM.match(part) else part for part in raw)
        entry = _Template(template, segments, sum(part is not None for part in segments))
        self._by_length.setdefault(len(segments), []).append(entry)
        self.literal_segments.update(part for part in segments if part is not None)
        for index, part in enumerate(segments):
            if part is not None:
                self._reserved.setdefault(segments[:index], set()).add(part)
        self.prefixes.add(_prefix_of(raw))
        shared = item.get("parameters", [])
        for method in HTTP_METHODS:
            op = item.get(method)
            if op is not None:
                self.operations[(method.upper(), template)] = self._operation(
                    method.upper(), template, op, shared
                )

    def is_fortnox_path(self, parts: list[str]) -> bool:
        """Whether path segments lie under one of the spec's API bases (``/3``, ``/api/…``)."""
        return len(parts) >= 2 and (
            parts[0] in self.prefixes or "/".join(parts[:2]) in self.prefixes
        )

    def match(self, parts: list[str]) -> str | None:
        """The most literal path template matching the (decoded) path segments, if any."""
        if not all(parts):
            return None
        for entry in self._by_length.get(len(parts), ()):
            if all(self._fits(entry.segments, index, part) for index, part in enumerate(parts)):
                return entry.template
        return None

    def _fits(self, segments: tuple[str | None, ...], index: int, part: str) -> bool:
        literal = segments[index]
        if literal is not None:
            return literal == part
        return part not in self._reserved.get(segments[:index], ())

    def shape_of(self, parts: list[str]) -> str:
        """A path with its non-literal segments folded to ``{}``, to group unknown paths."""
        return "/" + "/".join(p if p in self.literal_segments else "{}" for p in parts)

    def methods_of(self, template: str) -> list[str]:
        return sorted(method for method, tpl in self.operations if tpl == template)

    # --- operations -------------------------------------------------------------------------

    def _operation(
        self, method: str, template: str, op: dict[str, Any], shared: list[dict[str, Any]]
    ) -> Operation:
        query: dict[str, QueryParam] = {}
        for param in [*shared, *op.get("parameters", [])]:
            param = self.resolve(param)
            if param.get("in") != "query":
                continue
            schema = self.resolve(param.get("schema", {}))
            enum = schema.get("enum")
            query[param["name"]] = QueryParam(
                name=param["name"],
                type=schema.get("type"),
                enum=tuple(str(value) for value in enum) if enum else None,
                required=bool(param.get("required")),
            )
        body = op.get("requestBody")
        request_schema = _json_schema(self.resolve(body)) if body else None
        responses = {
            code: _json_schema(self.resolve(answer))
            for code, answer in op.get("responses", {}).items()
        }
        return Operation(
            method=method,
            template=template,
            operation_id=str(op.get("operationId", "")),
            query=query,
            request_schema=request_schema,
            request_declared=body is not None,
            responses=responses,
            spec=self,
        )

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """Follow a local ``$ref`` (parameters, bodies and responses may be references)."""
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 20:
            target: Any = self.document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            node = target
            seen += 1
        return node

    # --- schemas ----------------------------------------------------------------------------

    @cached_property
    def _closed_root(self) -> dict[str, Any]:
        components = copy.deepcopy(self.document.get("components", {}))
        _close_objects(components.get("schemas", {}))
        return {"components": components}

    def validator(self, schema: dict[str, Any], *, closed: bool) -> Any:
        key = (json.dumps(schema, sort_keys=True), closed)
        cached = self._validators.get(key)
        if cached is None:
            root = self._closed_root if closed else self._open_root
            if closed:
                schema = copy.deepcopy(schema)
                _close_objects({"_": schema})
            cached = OAS30Validator({**root, **schema}, format_checker=oas30_format_checker)
            self._validators[key] = cached
        return cached


def segments_of(raw_path: bytes | str) -> list[str]:
    """Decoded segments of a raw (percent-encoded) path: an encoded ``/`` stays in its segment."""
    text = raw_path.decode("ascii", "replace") if isinstance(raw_path, bytes) else raw_path
    path = text.split("?", 1)[0].strip("/")
    return [unquote(part) for part in path.split("/")]


def _prefix_of(parts: list[str]) -> str:
    return parts[0] if parts[0] != "api" else "/".join(parts[:2])


def _json_schema(node: dict[str, Any]) -> dict[str, Any] | None:
    for media, content in node.get("content", {}).items():
        if "json" in media or media == "*/*":
            schema = content.get("schema")
            return schema if isinstance(schema, dict) else None
    return None


def _close_objects(schemas: dict[str, Any]) -> None:
    """Forbid undeclared properties on every object schema not composed through ``allOf``."""
    composed: set[int] = set()
    composed_refs: set[str] = set()

    def find_composed(node: Any) -> None:
        if isinstance(node, dict):
            for member in node.get("allOf", []):
                composed.add(id(member))
                if isinstance(member, dict) and "$ref" in member:
                    composed_refs.add(member["$ref"].rsplit("/", 1)[-1])
            for value in node.values():
                find_composed(value)
        elif isinstance(node, list):
            for value in node:
                find_composed(value)

    def close(node: Any, name: str | None = None) -> None:
        if isinstance(node, dict):
            if (
                "properties" in node
                and "additionalProperties" not in node
                and id(node) not in composed
                and name not in composed_refs
            ):
                node["additionalProperties"] = False
            for key, value in node.items():
                if key != "example":
                    close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    find_composed(schemas)
    for name, schema in schemas.items():
        close(schema, name)
