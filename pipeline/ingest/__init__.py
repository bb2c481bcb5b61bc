"""Ingest: the inbox's exports and the settings files -> the raw_ tables."""
