"""Accounts: people, roles, sign-up, login, second factor and password reset (DESIGN §2)."""
