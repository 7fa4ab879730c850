"""Run the conformance table in actionplane/rules/conformance.yaml on both backends."""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml
from rule_builders import connector

from actionplane.config.model import Policy, Route, Rule, Workspace
from actionplane.rules.backend import CelBackend, CelCompileError, get_backend
from actionplane.rules.lint import analyze_rules
from actionplane.rules.normalize import record_values

BACKENDS = ("cel-expr-python", "cel-python")
DEFAULT_NOW = "2025-07-01T09:00:00Z"
OUTCOMES = {True, False, "error", "compile_error"}


def load_cases() -> list[dict[str, Any]]:
    text = resources.files("actionplane.rules").joinpath("conformance.yaml").read_text()
    table = yaml.safe_load(text)
    assert table["version"] == 1
    return list(table["cases"])


CASES = load_cases()


def expand(value: Any) -> Any:
    """Replace `{range: N}` with the list of numbers 0 to N-1."""
    if isinstance(value, dict):
        if set(value) == {"range"}:
            return list(range(value["range"]))
        return {key: expand(item) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item) for item in value]
    return value


def variables(case: dict[str, Any]) -> dict[str, Any]:
    data = expand(case.get("data") or {})
    return {
        "request": data.get("request", {}),
        "record": record_values(data.get("record")),
        "connector": data.get("connector", {}),
        "now": datetime.fromisoformat(data.get("now", DEFAULT_NOW)),
    }


def expected(case: dict[str, Any], backend: str, key: str = "expect") -> Any:
    override = case.get(backend) or {}
    return override.get(key, case["expect"] if key == "expect" else None)


def evaluate(backend: CelBackend, case: dict[str, Any]) -> Any:
    try:
        compiled = backend.compile(case["id"], case["expr"])
    except CelCompileError:
        return "compile_error"
    activation = backend.activation(**variables(case))
    [result] = backend.evaluate([compiled], activation)
    return result if isinstance(result, bool) else "error"


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> CelBackend:
    return get_backend(request.param)


def case_ids() -> list[str]:
    return [case["id"] for case in CASES]


def test_table_is_well_formed() -> None:
    ids = case_ids()
    assert len(ids) == len(set(ids))
    for case in CASES:
        assert case["expect"] in OUTCOMES, case["id"]
        for name in BACKENDS:
            override = case.get(name) or {}
            assert set(override) <= {"expect", "warning", "unpatched"}, case["id"]
            assert override.get("expect", True) in OUTCOMES, case["id"]
        assert set(case) <= {
            "id",
            "expr",
            "data",
            "expect",
            "warning",
            "fix",
            *BACKENDS,
        }


@pytest.mark.parametrize("case", CASES, ids=case_ids())
def test_each_divergence_is_fixed_or_warned(case: dict[str, Any]) -> None:
    """Where cel-python differs, a lint warning covers it; where the wrapper
    changes cel-python's own outcome, the case names the fix."""
    reference = expected(case, "cel-expr-python")
    on_cel_python = expected(case, "cel-python")
    python_override = case.get("cel-python") or {}
    if on_cel_python != reference and reference != "compile_error":
        assert case.get("warning") or python_override.get("warning")
    unpatched = python_override.get("unpatched")
    if unpatched is not None and unpatched != on_cel_python:
        assert case.get("fix") in ("comparisons", "normalize")


@pytest.mark.parametrize("case", CASES, ids=case_ids())
def test_conformance(backend: CelBackend, case: dict[str, Any]) -> None:
    assert evaluate(backend, case) == expected(case, backend.name)


UNPATCHED = [case for case in CASES if "unpatched" in (case.get("cel-python") or {})]


@pytest.mark.parametrize("case", UNPATCHED, ids=[c["id"] for c in UNPATCHED])
def test_cel_python_unpatched(case: dict[str, Any]) -> None:
    """cel-python 0.5.0 as shipped: own operators, data without normalisation."""
    from celpy.adapter import json_to_cel

    from actionplane.rules.celpython import CelPythonBackend

    backend = CelPythonBackend(conformant_comparisons=False)
    try:
        program = backend.compile(case["id"], case["expr"])
    except CelCompileError:
        outcome: Any = "compile_error"
    else:
        data = expand(case.get("data") or {})
        try:
            activation = {
                name: json_to_cel(data.get(name, {})) for name in ("request", "record")
            }
        except ValueError:
            outcome = "error"  # json_to_cel rejects integers outside int64
        else:
            [result] = backend.evaluate([program], activation)
            outcome = result if isinstance(result, bool) else "error"
    assert outcome == case["cel-python"]["unpatched"]


def workspace_for(expression: str, tmp_path: Path, backend: str) -> Workspace:
    rule = Rule(
        id="probe",
        policy_file="policies/probe.yaml",
        when=expression,
        route=Route.DENY,
        objects=("Deals",),
    )
    policy = Policy("policies/probe.yaml", 1, Route.ALLOW, (rule,), ())
    return Workspace(
        root=tmp_path,
        name="probe",
        version=1,
        connectors=(connector(Deals=("Amount", "Name", "Website", "Phone", "Delay")),),
        policies=(policy,),
        cel_backend=backend,
    )


WARNED = [
    (case, name)
    for case in CASES
    for name in BACKENDS
    if case.get("warning") or (case.get(name) or {}).get("warning")
]


@pytest.mark.parametrize(
    ("case", "backend_name"), WARNED, ids=[f"{c['id']}-{n}" for c, n in WARNED]
)
def test_warning_is_reported(
    case: dict[str, Any], backend_name: str, tmp_path: Path
) -> None:
    workspace = workspace_for(case["expr"], tmp_path, backend_name)
    found = analyze_rules(workspace, backend_name)
    codes = {d.code for d in found}
    constructs = {d.extra.get("construct") for d in found}
    if case.get("warning"):
        assert case["warning"] in codes
    construct = (case.get(backend_name) or {}).get("warning")
    if construct:
        assert "rule.cel-python-divergence" in codes
        assert construct in constructs


QUIET = [case for case in CASES if not (case.get("cel-python") or {}).get("warning")]


@pytest.mark.parametrize("case", QUIET, ids=[c["id"] for c in QUIET])
def test_no_divergence_warning_without_cause(
    case: dict[str, Any], tmp_path: Path
) -> None:
    """Cases that behave the same on cel-python get no divergence warning."""
    workspace = workspace_for(case["expr"], tmp_path, "cel-python")
    codes = {d.code for d in analyze_rules(workspace, "cel-python")}
    assert "rule.cel-python-divergence" not in codes
