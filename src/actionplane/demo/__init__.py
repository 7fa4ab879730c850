"""`actionplane demo`: the onboarding path end to end on the embedded sandbox."""
