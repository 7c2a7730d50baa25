"""Profiles: what the user has, and where each one stands."""
