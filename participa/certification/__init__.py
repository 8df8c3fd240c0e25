"""Two-person certification of a binding result, its certificate and public verification, and
what a certified result changes: the projects' states and the commitment record (DESIGN §4,
Certification and record)."""
