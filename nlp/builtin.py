"""The built-in stage factories, registered by name with their default configuration.

The registry (:mod:`nlp.stage`) names this module for the built-in stages and imports it
on first use; each factory imports its implementation inside the function, so building a
pipeline without a stage never loads that stage's code.
"""

from __future__ import annotations

from .stage import Stage, register_stage


@register_stage("tokenize", default_config={"batch_docs": 64},
                requires=("text",), assigns=("sentences", "morphemes"))
def make_tokenizer(batch_docs: int) -> Stage:
    """Sentences and morphemes from Kiwi, batched across documents."""
    from .tokenize import Tokenizer

    return Tokenizer(batch_docs=batch_docs)


def _classifier(task: str, model: str, explain: bool, batch_docs: int, name: str | None = None) -> Stage:
    from .classify.stage import ClassifierStage

    return ClassifierStage.from_path(task, model, explain=explain, batch_docs=batch_docs, name=name)


@register_stage("dimensions", default_config={"model": "shipped:dimensions", "explain": False, "batch_docs": 32},
                requires=("sentences",), assigns=("dimensions",))
def make_dimensions(model: str, explain: bool, batch_docs: int) -> Stage:
    """Competition dimensions per sentence from a saved classifier folder."""
    return _classifier("dimensions", model, explain, batch_docs)


@register_stage("frames", default_config={"model": "shipped:frames", "explain": False, "batch_docs": 32},
                requires=("sentences",), assigns=("frames",))
def make_frames(model: str, explain: bool, batch_docs: int) -> Stage:
    """Security/regulation frames per sentence from a saved classifier folder."""
    return _classifier("frames", model, explain, batch_docs)


@register_stage("actors", default_config={"lexicons": [], "nested": False},
                requires=("sentences", "morphemes"), assigns=("mentions",))
def make_actors(lexicons: list[str], nested: bool) -> Stage:
    """Actor mentions resolved to canonical ids with type and bloc (shipped lexicon + user lexicons)."""
    from .actors import ActorStage

    return ActorStage(lexicon_paths=tuple(lexicons), nested=nested)
