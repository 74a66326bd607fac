"""The pipeline stage that fills ``Document.mentions``."""

from __future__ import annotations

from dataclasses import replace

from ..document import Document, Mention
from ..lexicon import load_actor_cues, load_lexicon
from ..pipeline import Stage
from .openworld import Found, Memory, OpenWorld
from .resolver import ActorResolver, Scope


class ActorStage(Stage):
    """Pipeline stage: fills ``Document.mentions``."""

    name = "actors"
    requires = ("sentences", "morphemes")
    assigns = ("mentions",)

    def __init__(self, lexicon_paths: tuple[str, ...] = (), nested: bool = False, cues_path: str | None = None,
                 open_world: bool = True) -> None:
        self.lexicon = load_lexicon(*lexicon_paths)
        cues = load_actor_cues(cues_path)
        self.resolver = ActorResolver(self.lexicon, nested=nested, cues=cues)
        self.open_world = OpenWorld(self.lexicon, cues) if open_world else None
        self.lexicon_paths = lexicon_paths
        self.cues_path = cues_path

    def model_info(self) -> dict[str, str]:
        extra = f"+{len(self.lexicon_paths)} user" if self.lexicon_paths else ""
        ow = "+open" if self.open_world else ""
        return {"actors": f"lexicon-{len(self.lexicon)}{extra}{ow}"}

    def process(self, doc: Document) -> Document:
        mentions: list[Mention] = []
        prev_blocs: list[str] = []
        scope = Scope()
        memory = Memory()
        paragraph = None
        for s in doc.sentences:
            if s.paragraph != paragraph:
                paragraph = s.paragraph
                scope.paragraph_blocs, scope.paragraph_actors = [], []
            morphs = tuple(s.morphemes)
            known, blocked = self.resolver.resolve(doc.text, morphs, prev_blocs, scope)
            if self.open_world is not None:
                found = self.open_world.find(doc.text, morphs, known, blocked, memory)
            else:
                found = [Found(a, b, aid, *self.open_world_actor(aid), rule) for a, b, aid, rule in known]
            blocs_here = []
            for f in found:
                rs, re_ = doc.to_raw(f.start, f.end)
                mentions.append(Mention(f.start, f.end, rs, re_, doc.text[f.start:f.end], f.actor, f.type, f.bloc,
                                        s.index, f.rule, f.known))
                blocs_here.append(f.bloc)
                if f.type in ("state", "agency"):
                    scope.paragraph_blocs.append(f.bloc)
                if f.known and f.rule != "lexicon:ctx":
                    scope.paragraph_actors.append(f.actor)
                    scope.document_actors.append(f.actor)
            prev_blocs = blocs_here
        return replace(doc, mentions=tuple(mentions))

    def open_world_actor(self, aid: str) -> tuple[str, str]:
        """Type and bloc of a lexicon id (``("state", "other")`` if unknown)."""
        a = self.lexicon.actors.get(aid)
        return (a.type, a.bloc) if a else ("state", "other")
