"""Consultations: processes on projects, phases, electorate, weights, roll (DESIGN §3)."""
