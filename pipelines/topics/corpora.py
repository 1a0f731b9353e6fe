"""Real corpora for the topic evaluation and benchmark (read in place from `../shared/datasets`).

Embeddings come from `pipelines.models.encoder.cached_encode`, so each set is embedded once per
machine and encoder version.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipelines.models import datasets

CFPB_FILES = (
    # (file, narrative, product, issue, company columns): the 2023 extract renamed its headers.
    ("complaints_sample.csv", "Consumer complaint narrative", "Product", "Issue", "Company"),
    ("complaints_2023-03_04_extract.csv", "Consumer_complaint_narrative", "Product", "Issue", "Company"),
)


def banking77(split: str = "test") -> pd.DataFrame:
    """BANKING77 utterances: columns text, category (the gold intent)."""
    return datasets.banking77(split)[["text", "category"]].reset_index(drop=True)


def cfpb_narratives() -> pd.DataFrame:
    """CFPB complaints that carry a narrative: columns text, product, issue (gold labels), company."""
    frames = []
    for name, text_col, product_col, issue_col, company_col in CFPB_FILES:
        df = pd.read_csv(datasets._path("cfpb_complaints_sample", name), dtype=str, keep_default_na=False)
        df = df[df[text_col].str.strip().str.len() > 0]
        frames.append(pd.DataFrame({"text": df[text_col], "product": df[product_col], "issue": df[issue_col],
                                    "company": df[company_col]}))
    return pd.concat(frames, ignore_index=True)


def goemotions_texts() -> list[str]:
    """GoEmotions train comments (used only as volume for the speed benchmark)."""
    texts, _ = datasets.goemotions("train")
    return texts


def embed(texts: list[str], cache_name: str) -> np.ndarray:
    """Embeddings of `texts` with the shared encoder, cached on disk between runs."""
    from pipelines.models.encoder import cached_encode

    return cached_encode(list(texts), cache_name)
