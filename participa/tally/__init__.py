"""Tally: the weighted count and the binding verdict (DESIGN §4, Tally and binding verdict)."""
