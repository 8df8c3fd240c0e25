"""Registry (catastro) of civil-society organisations: imports, verification, representatives
and the public directory (DESIGN §3, registry)."""
