"""ActionPlane: governed, previewed and reversible writes into a CRM."""

__version__ = "0.1.0"
