"""Seed data of the embedded Zoho sandbox: credentials, org, users, sample deal.

The credentials below open this sandbox and nothing else. They are shaped like
Zoho's (`1000.` client ids, `1000.<hex>.<hex>` tokens) so that clients parse
them as they would real ones, but they are published constants, not secrets:
the demo exports them into the environment variables that `connectors.yaml`
references. Field values of the other seeded records live in
`data/records.json`; the onboarding sample deal is here so code and tests can
name its values.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Final

CLIENT_ID: Final = "1000.ACTIONPLANESANDBOXCLIENT000001"
CLIENT_SECRET: Final = "5b0c1d2e3f405162738495a6b7c8d9e0f1a2b3c4d5"
REFRESH_TOKEN: Final = (
    "1000.5a4d2b0c9e8f7a6b5c4d3e2f1a0b9c8d.7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b"
)
# A self-client grant code: it is not bound to a redirect URI and works once
# per reset, like a code from Zoho's API console.
GRANT_CODE: Final = (
    "1000.c0de5eed0c0de5eed0c0de5eed0c0de5.eed0c0de5eed0c0de5eed0c0de5eed0c"
)
SCOPE: Final = (
    "ZohoCRM.modules.ALL ZohoCRM.settings.ALL ZohoCRM.users.READ ZohoCRM.org.READ"
)

# Environment variables that the repo's connectors.yaml reads the credentials from.
ENV_CLIENT_ID: Final = "ZOHO_CLIENT_ID"
ENV_CLIENT_SECRET: Final = "ZOHO_CLIENT_SECRET"
ENV_REFRESH_TOKEN: Final = "ZOHO_REFRESH_TOKEN"
ENV_VARS: Final = {
    ENV_CLIENT_ID: CLIENT_ID,
    ENV_CLIENT_SECRET: CLIENT_SECRET,
    ENV_REFRESH_TOKEN: REFRESH_TOKEN,
}

# Zoho writes date-times in the API user's time zone. India has no daylight
# saving time, so a fixed offset is exact, and the half hour catches clients
# that assume whole-hour offsets.
USER_TIME_ZONE: Final = "Asia/Kolkata"
USER_UTC_OFFSET: Final = timedelta(hours=5, minutes=30)

ADMINISTRATOR_PROFILE: Final = {"name": "Administrator", "id": "3652397000000026011"}
STANDARD_PROFILE: Final = {"name": "Standard", "id": "3652397000000026014"}
CEO_ROLE: Final = {"name": "CEO", "id": "3652397000000026005"}
MANAGER_ROLE: Final = {"name": "Manager", "id": "3652397000000026008"}

CURRENT_USER_ID: Final = "3652397000000201001"


def _user(
    user_id: str,
    first_name: str,
    last_name: str,
    email: str,
    *,
    role: dict[str, str],
    profile: dict[str, str],
    status: str = "active",
) -> dict[str, Any]:
    return {
        "id": user_id,
        "first_name": first_name,
        "last_name": last_name,
        "full_name": f"{first_name} {last_name}",
        "email": email,
        "role": dict(role),
        "profile": dict(profile),
        "status": status,
        "confirm": True,
        "time_zone": USER_TIME_ZONE,
        "locale": "en_IN",
        "language": "en_US",
        "country": "IN",
        "country_locale": "en_IN",
        "date_format": "dd/MM/yyyy",
        "time_format": "hh:mm a",
        "zuid": user_id[-8:],
        "created_time": "2023-04-03T09:00:00+05:30",
        "modified_time": "2024-09-16T18:12:44+05:30",
    }


USERS: Final = (
    _user(
        CURRENT_USER_ID,
        "Priya",
        "Raman",
        "priya.raman@larkspur.example",
        role=CEO_ROLE,
        profile=ADMINISTRATOR_PROFILE,
    ),
    _user(
        "3652397000000201005",
        "Daniel",
        "Okafor",
        "daniel.okafor@larkspur.example",
        role=MANAGER_ROLE,
        profile=STANDARD_PROFILE,
    ),
    _user(
        "3652397000000201009",
        "Mei",
        "Lin",
        "mei.lin@larkspur.example",
        role=MANAGER_ROLE,
        profile=STANDARD_PROFILE,
        status="disabled",
    ),
)
CURRENT_USER: Final = USERS[0]

# `type` is `sandbox` here; a production org has `production`.
ORG: Final = {
    "id": "3652397000000012001",
    "zgid": "70814092",
    "company_name": "Larkspur Labs (Sandbox)",
    "type": "sandbox",
    "domain_name": "larkspurlabs",
    "alias": None,
    "primary_email": CURRENT_USER["email"],
    "primary_zuid": CURRENT_USER["zuid"],
    "phone": "+91 44 4000 1200",
    "website": "https://larkspur.example",
    "street": "12 Velachery Main Road",
    "city": "Chennai",
    "state": "Tamil Nadu",
    "zip": "600042",
    "country": "India",
    "country_code": "IN",
    "time_zone": USER_TIME_ZONE,
    "currency": "US Dollar - USD",
    "currency_symbol": "$",
    "iso_code": "USD",
    "currency_locale": "en_US",
    "mc_status": False,
    "employee_count": "40",
    "max_per_page": 200,
    "hipaa_compliance_enabled": False,
    "privacy_settings": True,
    "created_time": "2023-04-03T09:00:00+05:30",
    "license_details": {
        "paid": True,
        "paid_type": "enterprise",
        "paid_expiry": None,
        "users_license_purchased": 10,
        "trial_type": None,
        "trial_expiry": None,
        "trial_action": None,
    },
}

SAMPLE_DEAL_ID: Final = "3652397000000330001"
SAMPLE_ACCOUNT_ID: Final = "3652397000000310001"
SAMPLE_CONTACT_ID: Final = "3652397000000320001"

# The onboarding sample deal in stored form: lookups hold only their id, and the
# sandbox adds names, `$` keys and computed fields when it returns the record.
SAMPLE_DEAL: Final = {
    "id": SAMPLE_DEAL_ID,
    "Owner": {"id": CURRENT_USER_ID},
    "Deal_Name": "Northwind - Fleet Renewal 2025",
    "Amount": 48000.0,
    "Stage": "Qualification",
    "Probability": 10,
    "Closing_Date": "2025-09-30",
    "Type": "Existing Business",
    "Next_Step": "Schedule the discovery call",
    "Lead_Source": "Partner",
    "Pipeline": "Standard (Standard)",
    "Account_Name": {"id": SAMPLE_ACCOUNT_ID},
    "Contact_Name": {"id": SAMPLE_CONTACT_ID},
    "Description": "Onboarding sample deal: safe to change in the sandbox.",
    "Deal_Number": "DL-1001",
    "Strategic_Deal": False,
    "Created_By": {"id": CURRENT_USER_ID},
    "Modified_By": {"id": CURRENT_USER_ID},
    "Created_Time": "2025-01-20T15:10:27+05:30",
    "Modified_Time": "2025-01-20T15:10:27+05:30",
}
