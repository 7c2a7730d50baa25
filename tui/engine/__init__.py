"""The engine: AWS calls, the credentials store, settings, schedule and rotation.

Nothing in this package imports textual; tests/engine/test_import_boundary.py enforces it.
"""
