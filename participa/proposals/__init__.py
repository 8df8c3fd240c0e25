"""Proposals and observations by organisations on a consultation's projects, supports, the
comuna's answers and moderation (DESIGN §3, proposals)."""
