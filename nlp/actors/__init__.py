"""Actor recognition: lexicon names, the codebook's hard-case rules, open-world names.

``ActorStage`` is the pipeline stage; ``ActorResolver`` does one sentence at a time.
See ``docs/actors.md`` for every rule.
"""

from .resolver import ActorResolver
from .stage import ActorStage

__all__ = ["ActorResolver", "ActorStage"]
