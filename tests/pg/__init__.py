"""Tests against a real PostgreSQL server (the test foundation itself)."""
