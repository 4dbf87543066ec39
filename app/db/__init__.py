"""Relational storage: SQLAlchemy models, engines, migrations and ALL queries live here."""
