"""Build, validate and snapshot: the SQL layers, their contracts, the history."""
