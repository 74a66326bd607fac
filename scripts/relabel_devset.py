"""Apply the written actor rulings of GUIDELINE §8.7 to every development-set record, mechanically.

The records (``corpus/devset/documents_*.jsonl``) hold offsets only; the rules need the
sentence text, so the rebuilt cache (``.cache/devset/sentences.jsonl``) must exist.  Each
rule is applied to all records the same way, whatever the resolver predicts (the resolver
is not imported):

1. **Surname + title** (§8.5, §8.7 rule 1): ``김 의원`` / ``헤인스 국장`` is a mention of the
   person named in full *earlier in the same document* (a gold person mention of two or three
   Korean syllables, four with a two-syllable surname, or of two words or more), with that
   mention's id or name, type and bloc; the span is the surname (the last word of a
   foreign name).  Added where missing.  A Korean one-syllable surname marked as a person
   with no earlier full name, or with two people of the document sharing it, is removed.
2. **Version codes** (§7.2 item 6, §8.7 rule 2): a company mention whose span ends in a
   hyphenated version code (``X-V2``, ``X-2.5-pro``) covers the name only, unless the lexicon
   lists the versioned name itself (``GPT-4``) as a surface of that actor.
3. **A leader's name with the state's government** (§7.2 item 8, §8.7 rule 3): a person mention
   followed by one space and a state mention of the same bloc that ends in 정부 or 행정부
   (도널드 트럼프 미국 행정부) is one state mention over both.

Run ``PYTHONPATH=$PWD python scripts/relabel_devset.py`` (``--dry-run`` to only count).
It prints what it changed by document, sentence and offsets (never text) and rewrites
the records atomically; a second run changes nothing.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from nlp.devset import iter_jsonl  # noqa: E402
from nlp.formats import atomic_open  # noqa: E402
from nlp.lexicon import load_actor_cues, load_lexicon  # noqa: E402

_HANGUL = re.compile(r"[가-힣]+")
_VERSION = re.compile(r"-(?=[A-Za-z0-9.]*[0-9])[A-Za-z0-9.]+(?:-[A-Za-z0-9.]+)*$")
_BRACKET = re.compile(r"\(.*\)$")


class Rules:
    """The cue words the rules need (titles and surnames of ``models/actor_cues.tsv``)."""

    def __init__(self) -> None:
        cues = load_actor_cues()
        self.titles = sorted(cues.words("person_title"), key=len, reverse=True)
        surnames = cues.words("surname")
        self.surnames1 = frozenset(s for s in surnames if len(s) == 1)
        self.surnames2 = frozenset(s for s in surnames if len(s) == 2)
        lexicon = load_lexicon()
        self.surfaces = {(sf.text, sf.actor) for sf in lexicon.surfaces}
        self.actor_blocs = {a.id: a.bloc for a in lexicon.actors.values()}

    def surname_key(self, name: str) -> str | None:
        """The surname (Korean) or last word (foreign) of a full name, else None."""
        name = _BRACKET.sub("", name).strip()
        if " " in name:
            return name.split()[-1]
        if _HANGUL.fullmatch(name):
            if len(name) == 4 and name[:2] in self.surnames2:
                return name[:2]
            if len(name) in (2, 3) and name[0] in self.surnames1:  # two-syllable full names too (조국: F-3)
                return name[0]
        return None

    def title_after(self, text: str, pos: int) -> bool:
        """A title word starts at ``pos`` (the title, then at most two syllables of particles)."""
        for t in self.titles:
            if text.startswith(t, pos):
                rest = re.match(r"[가-힣]*", text[pos + len(t):]).group(0)
                return len(rest) <= 2
        return False


def relabel_document(rec: dict, texts: dict[int, str], rules: Rules, log: list[str], counts: Counter) -> None:
    """Apply both rules to one record in place (``texts``: sentence index -> cached text)."""
    keys: dict[str, dict | None] = {}  # surname -> the person's first full mention (None: shared)
    candidates = set(rules.surnames1)  # every surname the document's full names can give
    for i, s in enumerate(rec["sentences"]):
        for a in s["actors"] if i in texts else ():
            if a["type"] == "person":
                candidates.add(rules.surname_key(texts[i][a["start"]:a["end"]]))
    candidates.discard(None)
    for i, s in enumerate(rec["sentences"]):
        text = texts.get(i)
        if text is None:
            continue
        actors = s["actors"]
        # rule 3: a leader's name and the state's government
        lex = rules.actor_blocs
        for a in sorted(actors, key=lambda x: x["start"]):
            nxt = next((b for b in actors if b["start"] == a["end"] + 1 and b["type"] == "state"), None)
            if (a["type"] == "person" and nxt is not None and text[a["end"]] == " "
                    and text[nxt["start"]:nxt["end"]].endswith(("정부", "행정부"))
                    and (a.get("id") and lex.get(a["id"]) or a["bloc"]) == nxt["bloc"]):
                log.append(f"{rec['id']} s{i} [{a['start']},{a['end']}) + [{nxt['start']},{nxt['end']}) merged: "
                           "a leader's name with the state's government")
                nxt["start"] = a["start"]
                actors.remove(a)
                counts["leader and government merged"] += 1
        # rule 2: version codes
        for a in actors:
            if a["type"] == "company":
                surface = text[a["start"]:a["end"]]
                m = _VERSION.search(surface)
                if m and m.start() > 0 and (surface, a.get("id")) not in rules.surfaces:
                    log.append(f"{rec['id']} s{i} [{a['start']},{a['end']}) -> end {a['start'] + m.start()}: "
                               "version code")
                    a["end"] = a["start"] + m.start()
                    counts["version code trimmed"] += 1
        # rule 1: surnames with titles, in text order, the person's full mentions registering as they come
        events = sorted(actors, key=lambda a: a["start"])
        add = []
        hits = []
        for key in candidates:
            for m in re.finditer(re.escape(key) + " ", text):
                p = m.start()
                if (p == 0 or not text[p - 1].isalnum()) and rules.title_after(text, m.end()):
                    hits.append((p, p + len(key), key))
        hits.sort()
        h = 0
        for a in events + [None]:
            limit = a["start"] if a is not None else len(text) + 1
            while h < len(hits) and hits[h][0] < limit:
                p, e, key = hits[h]
                h += 1
                ref = keys.get(key)
                marked = next((x for x in actors if (x["start"], x["end"]) == (p, e)), None)
                if ref is None and marked is not None and marked["type"] == "person" and len(key) == 1:
                    log.append(f"{rec['id']} s{i} [{p},{e}) removed: surname with a title, "
                               f"{'shared by two people' if key in keys else 'no earlier full name'}")
                    counts["surname mark removed"] += 1
                    actors.remove(marked)
                elif ref is not None and not any(x["start"] < e and p < x["end"] for x in actors + add):
                    new = {"start": p, "end": e, "id": ref.get("id"), "type": ref["type"], "bloc": ref["bloc"]}
                    if ref.get("id") is None:
                        new["name"] = ref["name"]
                    add.append(new)
                    log.append(f"{rec['id']} s{i} [{p},{e}) added: surname with a title of "
                               f"{ref.get('id') or ref['name']}")
                    counts["surname mark added"] += 1
            if a is None or a not in actors:
                continue
            if a["type"] == "person":
                key = rules.surname_key(text[a["start"]:a["end"]])
                if key is not None:
                    ident = a.get("id") or a.get("name")
                    prev = keys.get(key, a) if key in keys else a
                    keys[key] = a if prev is not None and (prev.get("id") or prev.get("name")) == ident else None
        if add:
            s["actors"] = sorted(actors + add, key=lambda x: (x["start"], x["end"]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", default=str(REPO / ".cache" / "devset" / "sentences.jsonl"))
    ap.add_argument("--records", default=str(REPO / "corpus" / "devset"))
    ap.add_argument("--dry-run", action="store_true", help="count and list the changes, write nothing")
    args = ap.parse_args(argv)
    cache = Path(args.cache)
    if not cache.is_file():
        print(f"no development-set cache at {cache}; build it first (scripts/devset.py build)", file=sys.stderr)
        return 1
    texts: dict[str, dict[int, str]] = {}
    for r in iter_jsonl(cache):
        texts.setdefault(r["doc"], {})[r["index"]] = r["text"]
    rules, counts, log = Rules(), Counter(), []
    for path in sorted(Path(args.records).glob("documents_*.jsonl")):
        recs = list(iter_jsonl(path))
        for rec in recs:
            relabel_document(rec, texts.get(rec["id"], {}), rules, log, counts)
        if not args.dry_run:
            with atomic_open(path) as fh:
                for rec in recs:
                    fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print("\n".join(log))
    print({k: counts[k] for k in ("surname mark added", "surname mark removed", "version code trimmed",
                                  "leader and government merged")})
    return 0


if __name__ == "__main__":
    sys.exit(main())
