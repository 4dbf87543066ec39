"""Ingest: turn support sources (manuals, KB exports, ticket dumps) into indexed passages."""
