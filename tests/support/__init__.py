"""Helpers shared by the tests: imported by test modules and conftest.py, holding no tests.

Fixtures live in tests/conftest.py; what they and the tests share lives here, so no test
module imports another.
"""
