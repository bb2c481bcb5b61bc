"""Deliver: the published reports -> one email per recipient, logged."""
