"""Open data: the catalogue of every public dataset and its Frictionless data package (issue #15)."""
