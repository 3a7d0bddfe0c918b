"""Shared test support: a throwaway PostgreSQL cluster and a provider-faithful `apply`."""
