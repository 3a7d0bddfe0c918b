"""Test suite of entra-postgres."""
