"""Audit: the append-only, hash-linked event log (DESIGN §4, Audit)."""
