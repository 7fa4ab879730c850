"""The onboarding payload: the JSON a connector is created from.

Its keys are the connector's camelCase keys plus two actions
(`validateAfterSave`, `syncMetadataAfterSave`). It usually holds literal
secrets; they are moved into environment variables and never written to the
workspace.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actionplane.config.semantics import SECRET_REFERENCE
from actionplane.errors import ConfigError

SECRET_KEYS = ("clientId", "clientSecret", "refreshToken")
_TYPES: dict[str, type | tuple[type, ...]] = {
    "loginUrl": str,
    "instanceUrl": str,
    "clientId": str,
    "clientSecret": str,
    "refreshToken": str,
    "apiVersion": str,
    "isSandbox": bool,
    "isEnabled": bool,
    "validateAfterSave": bool,
    "syncMetadataAfterSave": bool,
    "managedObjects": list,
    "name": str,
    "type": str,
}
REQUIRED = (
    "loginUrl",
    "instanceUrl",
    "clientId",
    "clientSecret",
    "refreshToken",
    "managedObjects",
)
_SECRET_SUFFIX = {
    "clientId": "CLIENT_ID",
    "clientSecret": "CLIENT_SECRET",
    "refreshToken": "REFRESH_TOKEN",
}


@dataclass
class OnboardingPayload:
    connector: dict[str, Any]  # connectors.yaml entry, secrets as ${ENV} references
    secrets: dict[str, str]  # environment variable -> literal value from the payload
    validate_after_save: bool
    sync_after_save: bool


def env_var_names(prefix: str) -> dict[str, str]:
    return {key: f"{prefix}_{suffix}" for key, suffix in _SECRET_SUFFIX.items()}


def read_payload(path: Path, *, name: str | None, env_prefix: str) -> OnboardingPayload:
    try:
        data = json.loads(
            path.read_text(encoding="utf-8"), object_pairs_hook=_unique_keys
        )
    except FileNotFoundError:
        raise ConfigError(f"onboarding payload {path} not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid UTF-8 (byte {exc.start}); save it as UTF-8"
        ) from None
    except _DuplicateKeyError as exc:
        raise ConfigError(
            f"{path} gives the key {exc.key!r} twice in one object; keep one"
        ) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}"
        ) from None
    return parse_payload(data, str(path), name=name, env_prefix=env_prefix)


class _DuplicateKeyError(ValueError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key, value in pairs:
        if key in data:
            raise _DuplicateKeyError(key)
        data[key] = value
    return data


def parse_payload(
    data: Any, origin: str, *, name: str | None, env_prefix: str
) -> OnboardingPayload:
    if not isinstance(data, dict):
        raise ConfigError(
            f"{origin} must hold a JSON object with the connector settings"
        )
    problems = _problems(data)
    if problems:
        raise ConfigError(
            f"{origin} is not a valid onboarding payload:\n  - "
            + "\n  - ".join(problems)
        )
    names = env_var_names(env_prefix)
    secrets: dict[str, str] = {}
    connector: dict[str, Any] = {
        "name": name
        or data.get("name")
        or ("zoho-sandbox" if data.get("isSandbox", True) else "zoho-production"),
        "type": data.get("type", "zoho-crm"),
        "loginUrl": data["loginUrl"],
        "instanceUrl": data["instanceUrl"],
        "apiVersion": data.get("apiVersion", "v8"),
        "isSandbox": data.get("isSandbox", True),
        "isEnabled": data.get("isEnabled", True),
    }
    for key in SECRET_KEYS:
        value = data[key]
        if SECRET_REFERENCE.fullmatch(value):
            connector[key] = value
        else:
            secrets[names[key]] = value
            connector[key] = "${" + names[key] + "}"
    connector["managedObjects"] = [
        {
            "objectApiName": obj["objectApiName"],
            "displayName": obj.get("displayName", obj["objectApiName"]),
            "allowedFields": list(obj["allowedFields"]),
        }
        for obj in data["managedObjects"]
    ]
    return OnboardingPayload(
        connector,
        secrets,
        bool(data.get("validateAfterSave", False)),
        bool(data.get("syncMetadataAfterSave", False)),
    )


_OBJECT_KEYS = ("objectApiName", "displayName", "allowedFields")


def _problems(data: dict[str, Any]) -> list[str]:
    problems = []
    for key in data:
        if key not in _TYPES:
            problems.append(
                f"unknown key {key!r}; allowed keys: {', '.join(sorted(_TYPES))}"
            )
    for key in REQUIRED:
        if key not in data:
            problems.append(f"missing key {key!r}")
    for key, expected in _TYPES.items():
        if key in data and not isinstance(data[key], expected):
            # Secret values are never shown, whatever their type.
            shown = "" if key in SECRET_KEYS else f" (got {json.dumps(data[key])[:40]})"
            problems.append(f"{key} must be a {_type_name(expected)}{shown}")
    for i, obj in enumerate(data.get("managedObjects") or []):
        for key in obj if isinstance(obj, dict) else ():
            if key not in _OBJECT_KEYS:
                problems.append(
                    f"managedObjects[{i}] has the unknown key {key!r}; allowed keys:"
                    f" {', '.join(_OBJECT_KEYS)}"
                )
        if not isinstance(obj, dict) or not isinstance(obj.get("objectApiName"), str):
            problems.append(f"managedObjects[{i}] needs an objectApiName string")
        elif not isinstance(obj.get("allowedFields"), list) or not all(
            isinstance(f, str) for f in obj["allowedFields"]
        ):
            problems.append(
                f"managedObjects[{i}].allowedFields must be a list of field api_names"
            )
    if isinstance(data.get("name"), str) and not re.fullmatch(
        r"[a-z0-9][a-z0-9-]{0,62}", data["name"]
    ):
        problems.append("name must be lower-case letters, digits and dashes")
    return problems


def _type_name(expected: type | tuple[type, ...]) -> str:
    names = {str: "string", bool: "boolean (true or false)", list: "list"}
    if isinstance(expected, tuple):
        return " or ".join(names.get(t, t.__name__) for t in expected)
    return names.get(expected, expected.__name__)
