"""The embedding store: one encoder forward pass per distinct text, read by enrichment and topics alike.

Modules (import the one you need; this package imports nothing heavy itself):

- `protocol`: `Encoder`, what the store needs of an encoder (`name`, `max_tokens`, `tokenizer`,
  `encode(texts)`), and `encoder_name`.
- `hashing`: `text_hash(text)`, the store's key (equals DuckDB's `md5(text)`).
- `chunking`: long texts split on sentence boundaries into encoder-sized units, pooled back.
- `store`: `enriched.embeddings` read and write (`stored_hashes`, `load_embeddings`,
  `encode_units`, `vectors_to_arrow`).
- `index`: `StoreIndex`, the run's in-memory index of one encoder's rows, and `ensure_embeddings`.
"""
