"""The pipeline stage that fills ``Document.mentions``."""

from __future__ import annotations

from dataclasses import replace

from ..document import Document, Mention
from ..lexicon import load_actor_cues, load_lexicon
from ..pipeline import Stage
from .resolver import ActorResolver


class ActorStage(Stage):
    """Pipeline stage: fills ``Document.mentions``."""

    name = "actors"
    requires = ("sentences", "morphemes")
    assigns = ("mentions",)

    def __init__(self, lexicon_paths: tuple[str, ...] = (), nested: bool = False, cues_path: str | None = None) -> None:
        self.lexicon = load_lexicon(*lexicon_paths)
        self.resolver = ActorResolver(self.lexicon, nested=nested, cues=load_actor_cues(cues_path))
        self.lexicon_paths = lexicon_paths
        self.cues_path = cues_path

    def model_info(self) -> dict[str, str]:
        extra = f"+{len(self.lexicon_paths)} user" if self.lexicon_paths else ""
        return {"actors": f"lexicon-{len(self.lexicon)}{extra}"}

    def process(self, doc: Document) -> Document:
        mentions: list[Mention] = []
        prev_blocs: list[str] = []
        actors = self.lexicon.actors
        for s in doc.sentences:
            found = self.resolver.resolve_sentence(doc.text, tuple(s.morphemes), prev_blocs)
            blocs_here = []
            for start, end, aid, rule in found:
                a = actors.get(aid)
                atype, bloc = (a.type, a.bloc) if a else ("state", "other")
                rs, re_ = doc.to_raw(start, end)
                mentions.append(Mention(start, end, rs, re_, doc.text[start:end], aid, atype, bloc, s.index, rule))
                blocs_here.append(bloc)
            prev_blocs = blocs_here
        return replace(doc, mentions=tuple(mentions))
