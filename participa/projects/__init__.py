"""Projects (iniciativas) that comunas submit for regional funding (DESIGN §3)."""
