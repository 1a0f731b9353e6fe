"""Batch pipelines of the VoC warehouse: ingest -> enrich -> topics -> build -> publish."""
