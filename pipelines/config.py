"""The run's settings: every section of `voc.toml` the pipeline reads, in one immutable object.

`cli.main` builds it once per command (the file, then the `VOC_<SECTION>_<FIELD>` environment
variables, then the command's flags) and hands it to the command, which passes it to every stage
as `stage(con, settings)` (`pipelines.stages`). Nothing below the CLI reads the environment for a
run's settings, and nothing writes it. Example::

    settings = Settings.load().replace(models={"mode": "fast"}, enrich={"batch_size": 32})
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from analytics.operations import OperationsSettings
from analytics.settings import AnalyticsSettings
from pipelines.enrich.settings import EnrichSettings
from pipelines.ingest.records import IngestOptions
from pipelines.models import ModelSettings
from pipelines.settings import load_section
from pipelines.topics.settings import TopicSettings
from pipelines.warehouse import WarehouseSettings


@dataclass(frozen=True)
class Settings:
    """One field per `voc.toml` section; each section is its own frozen dataclass."""

    ingest: IngestOptions = field(default_factory=IngestOptions)
    enrich: EnrichSettings = field(default_factory=EnrichSettings)
    models: ModelSettings = field(default_factory=ModelSettings)
    topics: TopicSettings = field(default_factory=TopicSettings)
    analytics: AnalyticsSettings = field(default_factory=AnalyticsSettings)
    operations: OperationsSettings = field(default_factory=OperationsSettings)
    warehouse: WarehouseSettings = field(default_factory=WarehouseSettings)

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """Every section from the settings file (`$VOC_CONFIG` or `./voc.toml`), then the env vars."""
        # Each field's default factory is its section's dataclass.
        return cls(**{f.name: load_section(f.name, f.default_factory, path) for f in dataclasses.fields(cls)})

    def replace(self, **sections: dict[str, object]) -> Settings:
        """A copy with the named sections' fields replaced (the command's flags); None = not given.

        >>> Settings().replace(models={"mode": "fast"}, enrich={"threads": None}).models.mode
        'fast'
        """
        changed = {}
        for name, values in sections.items():
            given = {key: value for key, value in values.items() if value is not None}
            if given:
                changed[name] = dataclasses.replace(getattr(self, name), **given)
        return dataclasses.replace(self, **changed) if changed else self

