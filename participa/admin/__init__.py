"""Administration: accounts and roles (DESIGN §2, administrator)."""
