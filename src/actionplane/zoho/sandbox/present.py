"""Turn stored records into the JSON that Zoho returns for them.

Records are stored with only their inputs: lookups keep just `{"id"}` and
computed fields are absent. Reading adds lookup names (so renaming an account
shows on its deals), owner names and emails, computed and formula values, and
the `$` keys Zoho puts on every record.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from actionplane.zoho.sandbox import seed
from actionplane.zoho.sandbox.catalog import Catalog
from actionplane.zoho.sandbox.store import State

RECORD_META_KEYS: dict[str, Any] = {
    "$currency_symbol": "$",
    "$field_states": None,
    "$review_process": {"approve": False, "reject": False, "resubmit": False},
    "$state": "save",
    "$process_flow": False,
    "$approved": True,
    "$approval": {
        "delegate": False,
        "approve": False,
        "reject": False,
        "resubmit": False,
    },
    "$editable": True,
    "$review": None,
    "$orchestration": False,
    "$in_merge": False,
    "$approval_state": "approved",
    "$pathfinder": False,
    "$zia_owner_assignment": None,
    "$sharing_permission": "full_access",
    "$locked_for_me": False,
}
DEFAULT_VALUES: dict[str, Any] = {
    "Tag": [],
    "Locked__s": False,
    "Record_Status__s": "Available",
}


def user_by_id(user_id: str) -> dict[str, Any] | None:
    for user in seed.USERS:
        if user["id"] == user_id:
            return user
    return None


def user_reference(user_id: str, *, with_email: bool = True) -> dict[str, Any]:
    user = user_by_id(user_id)
    reference: dict[str, Any] = {
        "name": user["full_name"] if user else None,
        "id": user_id,
    }
    if with_email:
        reference["email"] = user["email"] if user else None
    return reference


def record_name(
    catalog: Catalog, state: State, module: str, record_id: str
) -> str | None:
    record = state["records"].get(module, {}).get(record_id)
    if record is None:
        return None
    compute = COMPUTED.get((module, catalog.display_field(module)))
    value = compute(record) if compute else record.get(catalog.display_field(module))
    return None if value is None else str(value)


def present_record(
    catalog: Catalog,
    state: State,
    module: str,
    stored: dict[str, Any],
    only: list[str] | None = None,
) -> dict[str, Any]:
    """Return a stored record as Zoho sends it; `only` keeps id plus those fields."""
    record = copy.deepcopy(RECORD_META_KEYS)
    for field in catalog.fields[module]:
        name = field["api_name"]
        if only is not None and name != "id" and name not in only:
            continue
        record[name] = _field_value(catalog, state, module, field, stored)
    return record


def _field_value(
    catalog: Catalog,
    state: State,
    module: str,
    field: dict[str, Any],
    stored: dict[str, Any],
) -> Any:
    name = field["api_name"]
    compute = COMPUTED.get((module, name))
    if compute is not None:
        return compute(stored)
    value = copy.deepcopy(stored.get(name, DEFAULT_VALUES.get(name)))
    if value is None:
        return None
    if field["data_type"] == "ownerlookup":
        return user_reference(value["id"])
    if field["data_type"] == "lookup":
        target = field["lookup"]["module"]["api_name"]
        return {
            "name": record_name(catalog, state, target, value["id"]),
            "id": value["id"],
        }
    return value


def _expected_revenue(record: dict[str, Any]) -> float | None:
    amount, probability = record.get("Amount"), record.get("Probability")
    if amount is None or probability is None:
        return None
    return round(amount * probability / 100, 2)


def _full_name(record: dict[str, Any]) -> str | None:
    parts = [record.get("First_Name"), record.get("Last_Name")]
    name = " ".join(part for part in parts if part)
    return name or None


def _revenue_per_employee(record: dict[str, Any]) -> float | None:
    revenue, employees = record.get("Annual_Revenue"), record.get("Employees")
    if revenue is None or not employees:
        return None
    return round(revenue / employees, 2)


COMPUTED: dict[tuple[str, str], Callable[[dict[str, Any]], Any]] = {
    ("Deals", "Expected_Revenue"): _expected_revenue,
    ("Contacts", "Full_Name"): _full_name,
    ("Accounts", "Revenue_Per_Employee"): _revenue_per_employee,
}
