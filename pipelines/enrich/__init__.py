"""Enrichment: sentiment, emotion and NEV (text proxy) per interaction and turn, on shared embeddings.

Modules: `language` (English or not), `chunking` (long texts), `embeddings` (the store every model
stage reads), `scoring` (heads -> scores), `stage` (`run(con) -> str`, what `python -m pipelines
run` and `enrich` call), `ray_engine` (the model work on Ray Data actors, `engine = "ray"`),
`settings` (`[enrich]`).
"""
