"""In-person voting sessions on tablets that work offline and sync later (DESIGN §4, issue #13)."""
