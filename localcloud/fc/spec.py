"""s.yaml as the local FC runtime and the tests read it: variables resolved, templates merged, per function.

Only what the product's s.yaml uses is resolved: `${vars.x}`, `${env('X')}`, `${env('X', 'default')}` and
`${config('AccountID')}`; a file-level `template` merged under each resource's props (props win). Anything else
left as `${...}` is reported, not guessed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

_EXPRESSION = re.compile(r"\$\{([^}]+)\}")
_ARGUMENTS = re.compile(r"'([^']*)'")


class SpecError(ValueError):
    """s.yaml cannot be resolved; the message names the resource and field."""


@dataclass(frozen=True)
class FunctionSpec:
    resource: str
    props: dict[str, Any]

    @property
    def function_name(self) -> str:
        return str(self.props["functionName"])

    @property
    def handler(self) -> str:
        return str(self.props.get("handler", ""))

    @property
    def runtime(self) -> str:
        return str(self.props.get("runtime", ""))

    @property
    def code(self) -> str:
        return str(self.props.get("code", ""))

    @property
    def timeout(self) -> int:
        return int(self.props.get("timeout", 3))

    @property
    def environment(self) -> dict[str, Any]:
        return dict(self.props.get("environmentVariables") or {})

    @property
    def triggers(self) -> list[dict[str, Any]]:
        return list(self.props.get("triggers") or [])


@dataclass
class Resolver:
    variables: dict[str, Any] = field(default_factory=dict)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    config: Mapping[str, str] = field(default_factory=lambda: {"AccountID": "1234567890123456"})

    def expression(self, expression: str, where: str) -> str:
        text = expression.strip()
        if text.startswith("vars."):
            name = text[5:]
            if name not in self.variables:
                raise SpecError(f"{where}: ${{{text}}} names no variable in vars")
            return str(self.variables[name])
        arguments: list[str] = _ARGUMENTS.findall(text)
        if text.startswith("env(") and arguments:
            value = self.environ.get(arguments[0])
            if value is None:
                if len(arguments) < 2:
                    raise SpecError(f"{where}: ${{{text}}} needs the environment variable {arguments[0]}")
                return arguments[1]
            return value
        if text.startswith("config(") and arguments:
            if arguments[0] not in self.config:
                raise SpecError(f"{where}: ${{{text}}} is not a known config key")
            return self.config[arguments[0]]
        raise SpecError(f"{where}: ${{{text}}} is not an expression this resolver knows")

    def resolve(self, value: Any, where: str) -> Any:
        if isinstance(value, str):
            return _EXPRESSION.sub(lambda m: self.expression(m.group(1), where), value)
        if isinstance(value, Mapping):
            return {k: self.resolve(v, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return value


def load(
    path: str | Path, environ: Mapping[str, str] | None = None, config: Mapping[str, str] | None = None
) -> list[FunctionSpec]:
    document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    resolver = Resolver(environ=dict(os.environ if environ is None else environ))
    if config is not None:
        resolver.config = config
    resolver.variables = {}
    for name, raw in (document.get("vars") or {}).items():
        resolver.variables[name] = resolver.resolve(raw, f"vars.{name}")
    templates = document.get("template") or {}
    functions = []
    for resource, body in (document.get("resources") or {}).items():
        if body.get("component") != "fc3":
            continue
        props: dict[str, Any] = {}
        extend = body.get("extend") or {}
        if extend:
            if extend.get("name") not in templates:
                raise SpecError(f"resources.{resource}.extend: no template named {extend.get('name')!r}")
            template = templates[extend["name"]]
            props.update({k: v for k, v in template.items() if k not in (extend.get("ignore") or [])})
        props.update(body.get("props") or {})
        functions.append(FunctionSpec(resource, resolver.resolve(props, f"resources.{resource}.props")))
    return functions
