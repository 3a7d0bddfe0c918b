"""entra-postgres: identity-based access to Azure Database for PostgreSQL as code."""

__version__ = "0.1.0"
