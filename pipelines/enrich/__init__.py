"""Enrichment: sentiment, emotion and NEV (text proxy) per interaction and turn, on shared embeddings.

Modules: `language` (English or not), `scoring` (heads -> scores), `batches` (the one plan -> score
-> write loop), `stage` (`run(con) -> str`, what `python -m pipelines run` and `enrich` call),
`ray_engine` (the model work on Ray Data actors, `engine = "ray"`), `settings` (`[enrich]`).
The embedding store every model stage reads is its own package, `pipelines.embeddings`.
"""
