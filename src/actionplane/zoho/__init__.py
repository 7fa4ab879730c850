"""Zoho CRM: OAuth, the v8 API client, data-center hosts and the embedded sandbox."""
