"""Checks that need more than one value at a time, and no Zoho connection.

They run on schema-valid documents and report at the YAML position of the
value at fault. A literal secret is reported without its value and without the
source line that holds it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from actionplane.config.yamlload import KeyPath, YamlDocument, format_key_path
from actionplane.diagnostics import Diagnostic, error, warning
from actionplane.zoho import hosts

SECRET_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
SECRET_SETTINGS = {
    "clientId": "ZOHO_CLIENT_ID",
    "clientSecret": "ZOHO_CLIENT_SECRET",
    "refreshToken": "ZOHO_REFRESH_TOKEN",
}


def _at(
    doc: YamlDocument,
    path: KeyPath,
    code: str,
    summary: str,
    detail: str,
    *,
    severity: str = "error",
    key: bool = False,
    show_source: bool = True,
) -> Diagnostic:
    make = error if severity == "error" else warning
    return make(
        code,
        summary,
        detail,
        location=doc.location(path, key=key),
        key_path=format_key_path(path),
        show_source=show_source,
    )


def _suggest(value: str, choices: list[str]) -> str:
    match = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    return f"Did you mean {match[0]!r}? " if match else ""


# --- connectors.yaml --------------------------------------------------------


def check_connectors(doc: YamlDocument) -> list[Diagnostic]:
    data = doc.data or {}
    out: list[Diagnostic] = []
    seen: dict[str, int] = {}
    for i, connector in enumerate(data.get("connectors") or []):
        if connector is None:  # left out: it failed schema validation
            continue
        path: KeyPath = ("connectors", i)
        name = connector["name"]
        if name in seen:
            first = doc.location(("connectors", seen[name], "name")).line
            out.append(
                _at(
                    doc,
                    (*path, "name"),
                    "connector.duplicate-name",
                    f"connector name {name!r} is used twice (first on line {first})",
                    "Give each connector a unique name.",
                )
            )
        seen.setdefault(name, i)
        out.extend(_check_hosts(doc, path, connector))
        out.extend(_check_managed_objects(doc, path, connector))
    for group, members in (data.get("groups") or {}).items():
        if not members:
            out.append(
                _at(
                    doc,
                    ("groups", group),
                    "group.empty",
                    f"approver group {group!r} has no members",
                    "Add user ids to the group; rules that name it can never be approved.",
                    severity="warning",
                )
            )
    return out


def check_literal_secrets(doc: YamlDocument) -> list[Diagnostic]:
    """Report literal secrets in every connector, valid or not.

    This runs before schema problems are pruned, so a literal secret is never
    hidden behind another error in the same connector.
    """
    out: list[Diagnostic] = []
    data = doc.data if isinstance(doc.data, dict) else {}
    connectors = data.get("connectors")
    for i, connector in enumerate(connectors if isinstance(connectors, list) else []):
        if isinstance(connector, dict):
            out.extend(_check_secrets(doc, ("connectors", i), connector))
    return out


def _check_secrets(
    doc: YamlDocument, path: KeyPath, connector: dict[str, Any]
) -> Iterator[Diagnostic]:
    for setting, example in SECRET_SETTINGS.items():
        value = connector.get(setting)
        if not isinstance(value, str) or SECRET_REFERENCE.fullmatch(value):
            continue
        # Never echo the value or its source line: it may be a real secret.
        yield _at(
            doc,
            (*path, setting),
            "connector.literal-secret",
            f"{setting} must be an ${{ENV_VAR}} reference, not a literal value",
            f"Store the value in an environment variable and write "
            f"`{setting}: ${{{example}}}`. If the literal was ever committed, rotate it "
            "in the Zoho API console.",
            show_source=False,
        )


def _check_hosts(
    doc: YamlDocument, path: KeyPath, connector: dict[str, Any]
) -> Iterator[Diagnostic]:
    login, instance = connector["loginUrl"], connector["instanceUrl"]
    for key, url in (("loginUrl", login), ("instanceUrl", instance)):
        if url.startswith("http://") and not hosts.is_loopback(url):
            yield _at(
                doc,
                (*path, key),
                "connector.insecure-url",
                f"{key} {url!r} uses plain http",
                "Use https://; plain http is only accepted for loopback hosts such as "
                "the embedded Zoho sandbox.",
            )
    login_loop, instance_loop = hosts.is_loopback(login), hosts.is_loopback(instance)
    if login_loop and instance_loop:
        return
    if login_loop != instance_loop:
        yield _at(
            doc,
            (*path, "instanceUrl"),
            "connector.mixed-hosts",
            "loginUrl and instanceUrl mix a loopback host with a remote one",
            "Point both at the embedded Zoho sandbox, or both at the same Zoho data center.",
        )
        return
    yield from _check_data_center(doc, path, connector)


def _check_data_center(
    doc: YamlDocument, path: KeyPath, connector: dict[str, Any]
) -> Iterator[Diagnostic]:
    login, instance = connector["loginUrl"], connector["instanceUrl"]
    accounts_dc = hosts.data_center_of_accounts(login)
    api = hosts.api_host_parts(instance)
    if accounts_dc is None:
        known = ", ".join(dc.accounts_host for dc in hosts.DATA_CENTERS)
        yield _at(
            doc,
            (*path, "loginUrl"),
            "connector.unknown-accounts-host",
            f"loginUrl host {hosts.host_of(login)!r} is not a Zoho accounts server",
            f"Use the accounts server of your org's data center: {known}.",
            severity="warning",
        )
    if api is None:
        yield _at(
            doc,
            (*path, "instanceUrl"),
            "connector.unknown-api-host",
            f"instanceUrl host {hosts.host_of(instance)!r} is not a Zoho API host",
            "Use www.zohoapis.<tld> for production orgs or sandbox.zohoapis.<tld> for "
            "sandbox orgs.",
            severity="warning",
        )
    if accounts_dc is None or api is None:
        return
    api_dc, environment = api
    if api_dc != accounts_dc:
        yield _at(
            doc,
            (*path, "instanceUrl"),
            "connector.data-center-mismatch",
            f"loginUrl {hosts.host_of(login)} ({accounts_dc.code}) and instanceUrl "
            f"{hosts.host_of(instance)} ({api_dc.code}) belong to different Zoho data centers",
            f"An org lives in one data center: use {accounts_dc.accounts_url} with "
            f"{accounts_dc.api_url()} (or {accounts_dc.api_url('sandbox')}), or "
            f"{api_dc.accounts_url} with {api_dc.api_url(environment)}.",
        )
    yield from _check_sandbox_flag(doc, path, connector, api_dc, environment)


def _check_sandbox_flag(
    doc: YamlDocument,
    path: KeyPath,
    connector: dict[str, Any],
    dc: hosts.DataCenter,
    environment: str,
) -> Iterator[Diagnostic]:
    is_sandbox = connector["isSandbox"]
    if environment == "sandbox" and not is_sandbox:
        yield _at(
            doc,
            (*path, "isSandbox"),
            "connector.sandbox-flag",
            f"instanceUrl is a sandbox host ({hosts.host_of(connector['instanceUrl'])}) "
            "but isSandbox is false",
            "Set `isSandbox: true`, or point instanceUrl at the production host "
            f"{dc.api_url()}.",
        )
    elif environment == "www" and is_sandbox:
        yield _at(
            doc,
            (*path, "instanceUrl"),
            "connector.sandbox-host",
            "isSandbox is true but instanceUrl is the production API host",
            f"Zoho serves sandbox orgs from {dc.api_url('sandbox')}; tokens issued for a "
            "sandbox org fail on the production host. Change instanceUrl unless this org "
            "really is served from the production host.",
            severity="warning",
        )


def _check_managed_objects(
    doc: YamlDocument, path: KeyPath, connector: dict[str, Any]
) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for j, obj in enumerate(connector["managedObjects"]):
        obj_path: KeyPath = (*path, "managedObjects", j)
        name = obj["objectApiName"]
        if name in seen:
            yield _at(
                doc,
                (*obj_path, "objectApiName"),
                "allowlist.duplicate-object",
                f"object {name!r} is listed twice in connector {connector['name']!r}",
                "Merge the two entries into one allowlist.",
            )
        seen.add(name)
        fields_seen: set[str] = set()
        for k, field_name in enumerate(obj["allowedFields"]):
            if field_name in fields_seen:
                yield _at(
                    doc,
                    (*obj_path, "allowedFields", k),
                    "allowlist.duplicate-field",
                    f"field {field_name!r} appears twice in the {name} allowlist",
                    "Remove the repeated entry.",
                )
            fields_seen.add(field_name)


# --- policies ---------------------------------------------------------------


@dataclass
class Declared:
    """Names declared anywhere in the workspace, including parts that failed
    schema validation, so one invalid entry does not cascade into errors about
    the names it declares."""

    connectors: list[str] = field(default_factory=list)
    objects: list[str] = field(default_factory=list)
    groups: dict[str, list[str]] = field(default_factory=dict)
    rule_ids: set[str] = field(default_factory=set)
    known: bool = False


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def declared_names(connectors_data: Any, policies_data: list[Any]) -> Declared:
    """Collect declared names from raw (unpruned) document data."""
    declared = Declared(known=isinstance(connectors_data, dict))
    data = connectors_data if isinstance(connectors_data, dict) else {}
    for connector in _dicts(data.get("connectors")):
        if isinstance(connector.get("name"), str):
            declared.connectors.append(connector["name"])
        for obj in _dicts(connector.get("managedObjects")):
            name = obj.get("objectApiName")
            if isinstance(name, str) and name not in declared.objects:
                declared.objects.append(name)
    declared.objects.sort()
    groups = data.get("groups")
    if isinstance(groups, dict):
        declared.groups = {
            str(k): [m for m in v if isinstance(m, str)] if isinstance(v, list) else []
            for k, v in groups.items()
        }
    for policy in policies_data:
        for rule in _dicts(policy.get("rules") if isinstance(policy, dict) else None):
            if isinstance(rule.get("id"), str):
                declared.rule_ids.add(rule["id"])
    return declared


def check_policies(
    policy_docs: list[YamlDocument], declared: Declared
) -> list[Diagnostic]:
    context = _PolicyContext(declared)
    out: list[Diagnostic] = []
    for doc in policy_docs:
        out.extend(context.check(doc))
    out.extend(context.check_expected_rules(policy_docs))
    return out


class _PolicyContext:
    def __init__(self, declared: Declared):
        self.known = declared.known
        self.connector_names = declared.connectors
        self.objects = declared.objects
        self.groups = declared.groups
        self.all_rule_ids = set(declared.rule_ids)
        self.rule_ids: dict[str, tuple[str, int]] = {}

    def check(self, doc: YamlDocument) -> Iterator[Diagnostic]:
        data = doc.data or {}
        rules = data.get("rules") or []
        for i, rule in enumerate(rules):
            if rule is not None:
                yield from self._check_rule(doc, ("rules", i), rule)
        names: dict[str, int] = {}
        for i, test in enumerate(data.get("tests") or []):
            if test is None:
                continue
            path: KeyPath = ("tests", i)
            if test["name"] in names:
                yield _at(
                    doc,
                    (*path, "name"),
                    "test.duplicate-name",
                    f"rule test name {test['name']!r} is used twice in this file "
                    f"(first on line {names[test['name']]})",
                    "Give each rule test a unique name.",
                )
            names.setdefault(test["name"], doc.location((*path, "name")).line)
            yield from self._check_test(doc, path, test)

    def _check_rule(
        self, doc: YamlDocument, path: KeyPath, rule: dict[str, Any]
    ) -> Iterator[Diagnostic]:
        rule_id = rule["id"]
        if rule_id in self.rule_ids:
            file, line = self.rule_ids[rule_id]
            yield _at(
                doc,
                (*path, "id"),
                "rule.duplicate-id",
                f"rule id {rule_id!r} is already used in {file}:{line}",
                "Rule ids must be unique across all policy files; rename one.",
            )
        else:
            self.rule_ids[rule_id] = (doc.path, doc.location((*path, "id")).line)
        if self.known:
            yield from self._check_selector(
                doc, path, rule, "object", self.objects, "managed object"
            )
            yield from self._check_selector(
                doc, path, rule, "connector", self.connector_names, "connector"
            )
        yield from self._check_approvers(doc, path, rule)

    def _check_selector(
        self,
        doc: YamlDocument,
        path: KeyPath,
        rule: dict[str, Any],
        key: str,
        known: list[str],
        what: str,
    ) -> Iterator[Diagnostic]:
        value = rule.get(key)
        names = [value] if isinstance(value, str) else list(value or [])
        for n, name in enumerate(names):
            if name in known:
                continue
            where = (*path, key) if isinstance(value, str) else (*path, key, n)
            listing = ", ".join(known) or "none"
            yield _at(
                doc,
                where,
                f"rule.unknown-{key}",
                f"rule {rule['id']!r} names {what} {name!r}, which connectors.yaml does not define",
                f"{_suggest(name, known)}Known {what}s: {listing}.",
            )

    def _check_approvers(
        self, doc: YamlDocument, path: KeyPath, rule: dict[str, Any]
    ) -> Iterator[Diagnostic]:
        approvers = rule.get("approvers") or []
        if rule["route"] != "require_approval":
            if approvers or "requiredApprovals" in rule:
                yield _at(
                    doc,
                    (*path, "approvers" if approvers else "requiredApprovals"),
                    "rule.approvers-ignored",
                    f"rule {rule['id']!r} routes to {rule['route']}, so its approvers are ignored",
                    "Remove the approvers, or change the route to require_approval.",
                    severity="warning",
                    key=True,
                )
            return
        if not approvers:
            yield _at(
                doc,
                (*path, "route"),
                "rule.missing-approvers",
                f"rule {rule['id']!r} requires approval but names no approvers",
                "Add `approvers: [group]` with a group declared under `groups:` in "
                "connectors.yaml.",
            )
            return
        members: set[str] = set()
        for n, group in enumerate(approvers):
            if group in self.groups:
                members.update(self.groups[group])
                continue
            if not self.known:
                # connectors.yaml did not load, so its groups are unknown.
                continue
            declared = sorted(self.groups)
            yield _at(
                doc,
                (*path, "approvers", n),
                "rule.unknown-group",
                f"approver group {group!r} is not declared in connectors.yaml",
                f"{_suggest(group, declared)}Declare it under `groups:` in connectors.yaml "
                f"(declared: {', '.join(declared) or 'none'}).",
            )
        required = rule.get("requiredApprovals", 1)
        if members and required > len(members):
            yield _at(
                doc,
                (*path, "requiredApprovals"),
                "rule.unreachable-approvals",
                f"rule {rule['id']!r} needs {required} approvals but its groups have "
                f"{len(members)} member(s)",
                "Lower requiredApprovals or add members to the approver groups.",
            )

    def _check_test(
        self, doc: YamlDocument, path: KeyPath, test: dict[str, Any]
    ) -> Iterator[Diagnostic]:
        request = test["request"]
        connector = request.get("connector")
        if (
            self.known
            and connector is not None
            and connector not in self.connector_names
        ):
            yield _at(
                doc,
                (*path, "request", "connector"),
                "test.unknown-connector",
                f"rule test {test['name']!r} names connector {connector!r}, which "
                "connectors.yaml does not define",
                f"{_suggest(connector, self.connector_names)}Known connectors: "
                f"{', '.join(self.connector_names) or 'none'}.",
            )
        if self.known and connector is None and len(self.connector_names) > 1:
            yield _at(
                doc,
                (*path, "request"),
                "test.ambiguous-connector",
                f"rule test {test['name']!r} does not say which connector it targets",
                "Add `connector:` to the request; the workspace has several connectors.",
            )

    def check_expected_rules(self, docs: list[YamlDocument]) -> Iterator[Diagnostic]:
        for doc in docs:
            for i, test in enumerate((doc.data or {}).get("tests") or []):
                if test is None:
                    continue
                for n, rule_id in enumerate(test["expect"].get("rules") or []):
                    if rule_id in self.all_rule_ids:
                        continue
                    yield _at(
                        doc,
                        ("tests", i, "expect", "rules", n),
                        "test.unknown-rule",
                        f"rule test {test['name']!r} expects rule {rule_id!r}, which no "
                        "policy defines",
                        f"{_suggest(rule_id, sorted(self.all_rule_ids))}Use an existing rule id.",
                    )
