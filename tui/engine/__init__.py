"""The engine, in folders by concern: `credentials_file/` (read as botocore reads it, written
by one locked, atomic writer), `aws/` (the STS and IAM calls), `console/`, `mfa/` (codes,
their age, devices), `profiles/` (what the user has, where each stands), `sessions/`
(getting them and keeping them fresh), `agent/` (sessions for other programs) and
`rotation/`; at the top, the small things they all use.

Nothing in this package imports textual; tests/engine/test_import_boundary.py enforces it.
"""
