"""The pipeline stage that fills ``Document.mentions``."""

from __future__ import annotations

from dataclasses import replace

from ..document import Document, Mention
from ..lexicon import load_actor_cues, load_lexicon
from ..pipeline import Stage
from .openworld import Memory, OpenWorld
from .resolver import ActorResolver, Scope

_NO_ACTOR = ("state", "other")  # type and bloc of an id the lexicon lacks (never produced)


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
        self.type_bloc = {a.id: (a.type, a.bloc) for a in self.lexicon.actors.values()}

    def model_info(self) -> dict[str, str]:
        """The lexicon's size (and user lexicons) as the actor stage's model version."""
        extra = f"+{len(self.lexicon_paths)} user" if self.lexicon_paths else ""
        ow = "+open" if self.open_world else ""
        return {"actors": f"lexicon-{len(self.lexicon)}{extra}{ow}"}

    def process(self, doc: Document) -> Document:
        """Find and resolve the actor mentions of every sentence of one document."""
        mentions: list[Mention] = []
        prev_blocs: list[str] = []
        scope = Scope()
        memory = Memory()
        paragraph = None
        text, to_raw, ow = doc.text, doc.to_raw, self.open_world
        type_bloc = self.type_bloc
        for s in doc.sentences:
            if s.paragraph != paragraph:
                paragraph = s.paragraph
                scope.paragraph_blocs, scope.paragraph_actors = [], []
            morphs = tuple(s.morphemes)
            known, blocked = self.resolver.resolve(text, morphs, prev_blocs, scope)
            found = ow.find(text, morphs, known, blocked, memory) if ow is not None else None
            if found is None:  # nothing beyond the lexicon's names
                found = [(a, b, aid, *type_bloc.get(aid, _NO_ACTOR), rule, True) for a, b, aid, rule in known]
            blocs_here = []
            for start, end, aid, atype, bloc, rule, is_known in found:
                rs, re_ = to_raw(start, end)
                mentions.append(Mention(start, end, rs, re_, text[start:end], aid, atype, bloc, s.index, rule,
                                        is_known))
                blocs_here.append(bloc)
                if atype == "state" or atype == "agency":
                    scope.paragraph_blocs.append(bloc)
                if is_known and rule != "lexicon:ctx":
                    scope.paragraph_actors.append(aid)
                    scope.document_actors.append(aid)
            prev_blocs = blocs_here
        return replace(doc, mentions=tuple(mentions))

