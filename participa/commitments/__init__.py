"""Commitments: the 80 commitments of the 2025-2029 programme, their status and evidence
(DESIGN §3, §4 "Commitment record")."""
