"""Decision semantics of RuleSet on both CEL backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from rule_builders import change_request, connector, policy, rule, workspace

from actionplane.config.model import Route
from actionplane.errors import RuleError
from actionplane.rules.decision import TraceOutcome
from actionplane.rules.engine import RuleSet

BACKENDS = ("cel-expr-python", "cel-python")

LARGE_AMOUNT = rule(
    "large-amount",
    '"Amount" in request.changes && request.changes.Amount.after > 100000.0',
    "require_approval",
    objects=("Deals",),
    approvers=("revops-leads",),
    message="Large amounts need approval.",
)
AGENT_LOST = rule(
    "agent-lost",
    '"Stage" in request.changes && request.changes.Stage.after == "Closed Lost"',
    "deny",
    objects=("Deals",),
    actor_kinds=("agent",),
    message="Agents may not mark deals lost.",
)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def decide_with(backend: str, *rules, default: str = "allow", **kwargs):  # type: ignore[no-untyped-def]
    rule_set = RuleSet(workspace(policy(*rules, default=default)), backend)
    return rule_set.decide(**kwargs)


def test_no_rule_matches_gives_default(backend: str) -> None:
    decision = decide_with(
        backend, LARGE_AMOUNT, request=change_request(Amount=(1.0, 2000))
    )
    assert decision.route is Route.ALLOW
    assert decision.matched_rules == ()
    outcomes = [entry.outcome for entry in decision.trace]
    assert outcomes == [TraceOutcome.ALLOWLIST, TraceOutcome.DEFAULT]


def test_matched_rule_sets_route_and_approvers(backend: str) -> None:
    decision = decide_with(
        backend, LARGE_AMOUNT, request=change_request(Amount=(1.0, 150000))
    )
    assert decision.route is Route.REQUIRE_APPROVAL
    assert decision.matched_rules == ("large-amount",)
    assert decision.approvers == ("revops-leads",)
    assert decision.required_approvals == 1
    assert decision.message == "Large amounts need approval."
    matched = [e for e in decision.trace if e.outcome is TraceOutcome.MATCHED]
    assert matched[0].policy_file == "policies/test.yaml"


def test_field_outside_allowlist_denied_before_rules(backend: str) -> None:
    failing = rule("would-fail", "request.changes.Nope.after == 1.0", "allow")
    decision = decide_with(
        backend, failing, request=change_request(Probability=(40, 90))
    )
    assert decision.route is Route.DENY
    assert [e.outcome for e in decision.trace] == [TraceOutcome.ALLOWLIST]
    assert "Probability" in decision.trace[0].message
    assert "Stage, Amount, Closing_Date, Next_Step" in decision.trace[0].message
    assert decision.trace[0].policy_file == "connectors.yaml"


@pytest.mark.parametrize(
    ("request_changes", "expected"),
    [
        ({"object": "Leads"}, "does not manage object 'Leads'"),
        ({"connector": "zoho-prod"}, "connector 'zoho-prod' is not in connectors.yaml"),
    ],
    ids=["unmanaged-object", "unknown-connector"],
)
def test_guard_denies_unknown_targets(
    backend: str, request_changes: dict[str, str], expected: str
) -> None:
    request = {**change_request(Stage=("a", "b")), **request_changes}
    decision = decide_with(backend, LARGE_AMOUNT, request=request)
    assert decision.route is Route.DENY
    assert expected in decision.trace[0].message


def test_missing_connector_with_several_connectors_denies(backend: str) -> None:
    two = (connector("a", Deals=("Amount",)), connector("b", Deals=("Amount",)))
    rule_set = RuleSet(workspace(policy(LARGE_AMOUNT), connectors=two), backend)
    decision = rule_set.decide(change_request(Amount=(1.0, 2.0)))
    assert decision.route is Route.DENY
    assert "names no connector" in decision.trace[0].message


def test_named_connector_is_used(backend: str) -> None:
    two = (connector("a", Deals=("Amount",)), connector("b", Deals=("Stage",)))
    rule_set = RuleSet(workspace(policy(LARGE_AMOUNT), connectors=two), backend)
    request = {**change_request(Stage=("x", "y")), "connector": "b"}
    assert rule_set.decide(request).route is Route.ALLOW
    assert rule_set.decide({**request, "connector": "a"}).route is Route.DENY


@pytest.mark.parametrize(
    ("kind", "object_name", "route"),
    [
        ("agent", "Deals", Route.DENY),
        ("human", "Deals", Route.ALLOW),
        ("service", "Deals", Route.ALLOW),
        ("", "Deals", Route.ALLOW),
    ],
    ids=["agent", "human", "service", "no-kind"],
)
def test_actor_kind_selector(
    backend: str, kind: str, object_name: str, route: Route
) -> None:
    request = change_request(object_name, kind, Stage=("Open", "Closed Lost"))
    assert decide_with(backend, AGENT_LOST, request=request).route is route


def test_object_selector_skips_other_objects(backend: str) -> None:
    anything = rule("any-website", '"Website" in request.changes', objects=("Deals",))
    request = change_request("Accounts", Website=("a", "b"))
    decision = decide_with(backend, anything, request=request)
    assert decision.route is Route.ALLOW


def test_connector_selector(backend: str) -> None:
    only_prod = rule("prod-only", "true", connectors=("zoho-prod",))
    decision = decide_with(backend, only_prod, request=change_request(Stage=("a", "b")))
    assert decision.route is Route.ALLOW


def test_most_restrictive_across_policies(backend: str) -> None:
    allow_rule = rule("stage-allowed", '"Stage" in request.changes', "allow")
    deny_rule = rule(
        "stage-denied",
        '"Stage" in request.changes',
        "deny",
        policy_file="policies/b.yaml",
    )
    rule_set = RuleSet(
        workspace(policy(allow_rule), policy(deny_rule, path="policies/b.yaml")),
        backend,
    )
    decision = rule_set.decide(change_request(Stage=("a", "b")))
    assert decision.route is Route.DENY
    assert set(decision.matched_rules) == {"stage-allowed", "stage-denied"}


def test_policy_without_match_contributes_default(backend: str) -> None:
    accounts_only = rule(
        "accounts-rule",
        "true",
        "allow",
        objects=("Accounts",),
        policy_file="policies/b.yaml",
    )
    strict = policy(accounts_only, default="require_approval", path="policies/b.yaml")
    rule_set = RuleSet(workspace(policy(LARGE_AMOUNT), strict), backend)
    decision = rule_set.decide(change_request(Amount=(1.0, 2.0)))
    assert decision.route is Route.REQUIRE_APPROVAL
    defaults = [e for e in decision.trace if e.outcome is TraceOutcome.DEFAULT]
    assert [e.policy_file for e in defaults] == [
        "policies/test.yaml",
        "policies/b.yaml",
    ]
    assert decision.approvers == ()
    assert decision.required_approvals == 1


def test_matched_allow_rule_replaces_policy_default(backend: str) -> None:
    allow_stage = rule("stage-ok", '"Stage" in request.changes', "allow")
    decision = decide_with(
        backend, allow_stage, default="deny", request=change_request(Stage=("a", "b"))
    )
    assert decision.route is Route.ALLOW


@pytest.mark.parametrize(
    ("default", "route"),
    [
        ("allow", Route.REQUIRE_APPROVAL),
        ("require_approval", Route.REQUIRE_APPROVAL),
        ("deny", Route.DENY),
    ],
    ids=["default-allow", "default-approval", "default-deny"],
)
def test_rule_error_fails_closed(backend: str, default: str, route: Route) -> None:
    unguarded = rule("unguarded", "request.changes.Amount.after > 1.0", "allow")
    decision = decide_with(
        backend, unguarded, default=default, request=change_request(Stage=("a", "b"))
    )
    assert decision.route is route
    assert decision.errored_rules == ("unguarded",)
    [error] = [e for e in decision.trace if e.outcome is TraceOutcome.ERROR]
    assert "Amount" in (error.error or "")
    assert "has()" in error.message


def test_approvers_union_and_max_required(backend: str) -> None:
    first = rule(
        "first", "true", "require_approval", approvers=("a", "b"), required_approvals=1
    )
    second = rule(
        "second", "true", "require_approval", approvers=("b", "c"), required_approvals=2
    )
    decision = decide_with(
        backend, first, second, request=change_request(Stage=("a", "b"))
    )
    assert decision.approvers == ("a", "b", "c")
    assert decision.required_approvals == 2


def test_deny_drops_approvers(backend: str) -> None:
    approval = rule("approval", "true", "require_approval", approvers=("a",))
    denial = rule("denial", "true", "deny")
    decision = decide_with(
        backend, approval, denial, request=change_request(Stage=("a", "b"))
    )
    assert decision.route is Route.DENY
    assert decision.approvers == ()
    assert decision.required_approvals == 0


def test_record_connector_now_and_today(backend: str) -> None:
    reads = rule(
        "reads-variables",
        'record.Stage == "Qualification" && !("$approval" in record)'
        ' && connector.name == "zoho-sandbox" && !connector.isSandbox'
        ' && today == "2025-06-30" && now < timestamp("2025-07-01T00:00:00Z")'
        ' && request.connector == "zoho-sandbox"',
    )
    rule_set = RuleSet(workspace(policy(reads)), backend)
    decision = rule_set.decide(
        change_request(Stage=("a", "b")),
        record={"Stage": "Qualification", "$approval": {"delegate": False}},
        now=datetime.fromisoformat("2025-07-01T00:30:00+02:00"),
        connector_values={"isSandbox": False},
    )
    assert decision.matched_rules == ("reads-variables",)
    assert decision.route is Route.DENY


def test_default_now_is_current_time(backend: str) -> None:
    year = datetime.now(UTC).year
    current = rule("current-year", f"now.getFullYear() == {year}")
    decision = decide_with(backend, current, request=change_request(Stage=("a", "b")))
    assert decision.matched_rules == ("current-year",)


def test_unread_variables_are_not_converted(backend: str) -> None:
    """A value CEL cannot hold is rejected only when a rule reads its variable."""
    reads_request = rule("reads-request", '"Stage" in request.changes')
    rule_set = RuleSet(workspace(policy(reads_request)), backend)
    decision = rule_set.decide(change_request(Stage=("a", "b")), record={"x": object()})
    assert decision.matched_rules == ("reads-request",)


def test_decision_to_dict_is_json(backend: str) -> None:
    decision = decide_with(
        backend, LARGE_AMOUNT, request=change_request(Amount=(1.0, 150000.0))
    )
    payload = json.loads(json.dumps(decision.to_dict()))
    assert payload["route"] == "require_approval"
    assert payload["matched_rules"] == ["large-amount"]
    assert payload["backend"] == backend
    assert payload["trace"][1]["rule_id"] == "large-amount"


def test_workspace_without_policies_denies(backend: str) -> None:
    decision = RuleSet(workspace(), backend).decide(change_request(Stage=("a", "b")))
    assert decision.route is Route.DENY
    assert "no policy" in decision.trace[-1].message


@pytest.mark.parametrize(
    "request_value",
    [["not", "a", "mapping"], {"changes": {}}, {"object": "Deals", "changes": [1]}],
    ids=["list", "no-object", "changes-not-mapping"],
)
def test_malformed_request_raises(backend: str, request_value: object) -> None:
    rule_set = RuleSet(workspace(policy(LARGE_AMOUNT)), backend)
    with pytest.raises(RuleError):
        rule_set.decide(request_value)  # type: ignore[arg-type]


def test_compile_error_raises_with_diagnostics(backend: str) -> None:
    broken = rule("broken", "request.changes.Amount.after >")
    with pytest.raises(RuleError) as caught:
        RuleSet(workspace(policy(broken, LARGE_AMOUNT)), backend)
    assert [d.code for d in caught.value.diagnostics] == ["rule.compile-error"]
    assert "broken" in caught.value.diagnostics[0].summary


def test_unsupported_value_type_names_path(backend: str) -> None:
    reads_request = rule("reads", "size(request.changes) > 5")
    rule_set = RuleSet(workspace(policy(reads_request)), backend)
    request = change_request(Stage=("a", object()))
    with pytest.raises(
        RuleError, match=r"request\.changes\.Stage\.after has type object"
    ):
        rule_set.decide(request)
