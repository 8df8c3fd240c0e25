"""Admissibility: the rule engine's recorded decisions, each rule with its verdict and reason
(DESIGN §3, admissibility)."""
