"""Territory: the 52 comunas of the Región Metropolitana (DESIGN §3)."""
