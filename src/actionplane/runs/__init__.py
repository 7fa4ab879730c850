"""Governed runs: preview, decision, approval, execution, rollback and evidence."""
