"""`[models]` of voc.toml (env `VOC_MODELS_*`): which encoder and heads the pipeline loads.

Its own module so the encoders can read it without importing the package that loads them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pipelines.settings import SettingsError, load_section

MODES = ("full", "fast")
TEACH_ENCODERS = ("", "multilingual", "shared")


@dataclasses.dataclass(frozen=True)
class ModelSettings:
    """`[models]` settings.

    encoder_path: directory of the sentence encoder; empty = the packaged all-MiniLM-L6-v2.
    sentiment_model / emotion_model: "builtin" (our heads) or a Hugging Face model id / local dir.
    models_dir: where the builtin heads live; empty = the repo's `models/`.
    batch_size, threads: at most this many texts per encoder forward pass (a pass also holds at most
        `encoder.BATCH_TOKENS` tokens, padding included) and torch threads (0 = torch's default).
    nev_min_emotion: P + N below this means "no emotional content": NEV is NaN, not 0 (1.2 excludes
        27% of neutral-only GoEmotions dev comments and keeps 95% of emotional ones; see MODEL_CARD).
    mode: "full" (the transformer encoder) or "fast" (a static model2vec distillation of it, for
        large backlogs; lower quality, see MODEL_CARD "Fast mode"). Env VOC_MODELS_MODE, CLI --fast.
    fast_model_path: a distilled model2vec directory for fast mode; empty = distil from the encoder
        into ~/.cache/voc/model2vec on first use.
    teach_encoder: what `teach sentiment` fits on: "multilingual" (the multilingual route's e5 vectors,
        the route's shipped head as the start: the better taught head, at one more encoder pass per
        English text once it is active), "shared" (the shared encoder's vectors and head, no extra
        pass); empty = "multilingual" in full mode, "shared" in fast mode (whose point is speed).
    """

    encoder_path: str = ""
    sentiment_model: str = "builtin"
    emotion_model: str = "builtin"
    models_dir: str = ""
    batch_size: int = 64
    threads: int = 0
    nev_min_emotion: float = 1.2
    mode: str = "full"
    fast_model_path: str = ""
    teach_encoder: str = ""

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise SettingsError(f'[models] mode must be "full" or "fast", got {self.mode!r}')
        if self.teach_encoder not in TEACH_ENCODERS:
            raise SettingsError(f'[models] teach_encoder must be "multilingual", "shared" or empty, '
                                f'got {self.teach_encoder!r}')

    @property
    def teach_on(self) -> str:
        """`teach_encoder` resolved: "multilingual" or "shared"."""
        return self.teach_encoder or ("shared" if self.mode == "fast" else "multilingual")


def load_settings(path: Path | None = None) -> ModelSettings:
    """`[models]` from voc.toml and `VOC_MODELS_*` env vars."""
    return load_section("models", ModelSettings, path)
