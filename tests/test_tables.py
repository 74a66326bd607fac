"""The annotated tables against their documented schema (docs/tables.md), read with pandas and with pyarrow."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from nlp.corpus import annotate_corpus, open_input, read_table
from nlp.labels import blocs, dimension_ids, frame_ids

DOC = Path(__file__).resolve().parent.parent / "docs" / "tables.md"

# Team-written records: a multi-line text (so that a record spans several CSV lines), integer years,
# ISO dates, an outlet name in Korean and one record without a year.
RECORDS = [
    {"id": "a", "year": "2023", "day": "2023-05-02", "outlet": "가람일보",
     "text": "미국 상무부는 중국에 대한 반도체 수출통제를 강화했다.\n오픈AI는 새 모델을 내놓았다."},
    {"id": "b", "year": "2024", "day": "2024-01-15", "outlet": "누리신문",
     "text": "한국 정부는 삼성전자와 함께 AI 반도체 투자를 늘리기로 했다."},
    {"id": "c", "year": "", "day": "2024-02-01", "outlet": "누리신문",
     "text": "중국은 인공지능 규범을 두고 유엔에서 목소리를 높였다.\n\n유럽연합은 인공지능법을 시행했다."},
]

ARROW_TYPES = {"int64": pa.int64(), "double": pa.float64(), "string": pa.string(), "bool": pa.bool_(),
               "list<string>": pa.list_(pa.string()), "date32": pa.date32()}


def documented_schema(table: str, meta_types: dict[str, str]) -> dict[str, pa.DataType]:
    """Columns and Arrow types of one table as docs/tables.md lists them, placeholders expanded."""
    text = DOC.read_text(encoding="utf-8")
    section = re.search(rf"^## {table}\n(.*?)(?=^## |\Z)", text, re.S | re.M).group(1)
    expand = {"<dim>": dimension_ids(), "<frame>": frame_ids(), "<bloc>": blocs(), "<name>": tuple(meta_types)}
    meta_arrow = {"int64": "int64", "float64": "double", "string": "string", "bool": "bool", "date": "date32"}
    out: dict[str, pa.DataType] = {}
    for name, typ in re.findall(r"^\| `([^`]+)` \| ([^|]+?) \|", section, re.M):
        holder = next((h for h in expand if h in name), None)
        for value in (expand[holder] if holder else (None,)):
            col = name.replace(holder, value) if holder else name
            kind = meta_arrow[meta_types[value]] if holder == "<name>" else typ
            out[col] = ARROW_TYPES[kind]
    return out


@pytest.fixture(scope="module")
def output(tmp_path_factory, pipeline):
    root = tmp_path_factory.mktemp("tables")
    path = root / "news.csv"
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=["id", "year", "day", "outlet", "text"])
        w.writeheader()
        w.writerows(RECORDS)
    annotate_corpus(open_input(path), root / "out", shard_size=2, pipeline=pipeline, progress=False)
    return root / "out"


def test_every_table_has_the_documented_columns_and_types(output):
    meta_types = json.loads((output / "manifest.json").read_text(encoding="utf-8"))["settings"]["metadata_types"]
    assert meta_types == {"year": "int64", "day": "date", "outlet": "string"}
    for table in ("documents", "sentences", "mentions"):
        expected = documented_schema(table, meta_types)
        for part in sorted((output / table).glob("part-*.parquet")):
            schema = pq.read_schema(part)
            assert dict(zip(schema.names, schema.types)) == expected, (table, part.name)


def test_pandas_reads_typed_metadata_and_first_line_sources(output):
    docs = read_table(output, "documents")
    assert docs["meta_year"].dtype == "Int64"  # an integer column with a missing value stays integer
    assert docs["meta_year"].tolist()[:2] == [2023, 2024] and pd.isna(docs["meta_year"][2])
    assert pd.api.types.is_datetime64_any_dtype(docs["meta_day"])
    assert docs["meta_day"][1] == pd.Timestamp("2024-01-15")
    assert json.loads(docs["metadata"][0]) == {"day": "2023-05-02", "outlet": "가람일보", "year": 2023}
    # record a starts on line 2 and spans two lines; b starts on line 4
    assert docs["source"].tolist() == ["news.csv:2", "news.csv:4", "news.csv:5"]
    assert not [c for c in docs.columns if c.startswith(("profile_dim_", "profile_frame_"))]
    whole = pd.read_parquet(output / "documents")
    assert sorted(whole["id"]) == ["a", "b", "c"]


def test_sentence_scores_are_float_columns_and_mentions_carry_names(output):
    sents = pq.read_table(output / "sentences").to_pandas()
    score_cols = [c for c in sents.columns if c.startswith("score_")]
    assert len(score_cols) == len(dimension_ids()) + len(frame_ids())
    assert all(sents[c].dtype == "float64" for c in score_cols)
    scored = sents[score_cols].stack()
    assert len(scored) and scored.between(0, 1).all()
    assert "scores" not in sents.columns
    ments = read_table(output, "mentions")
    names = dict(zip(ments["actor"], zip(ments["name_ko"], ments["name_en"])))
    assert names["US_COMMERCE"][1] != "US_COMMERCE" and "상무부" in names["US_COMMERCE"][0]
    assert names["OPENAI"] == ("오픈AI", "OpenAI")
    assert names["KR"][0] == "한국"


def test_parquet_metadata_keeps_its_arrow_types(tmp_path, pipeline):
    table = pa.table({"id": ["x", "y"], "text": ["미국이 반도체를 통제한다.", "중국이 반발했다."],
                      "year": pa.array([2022, None], pa.int32()),
                      "published": pa.array([pd.Timestamp("2022-03-01").date(), None], pa.date32()),
                      "weight": [0.5, 1.5]})
    pq.write_table(table, tmp_path / "in.parquet")
    annotate_corpus(open_input(tmp_path / "in.parquet"), tmp_path / "out", pipeline=pipeline, progress=False)
    schema = pq.read_schema(tmp_path / "out" / "documents" / "part-00000.parquet")
    assert schema.field("meta_year").type == pa.int64()
    assert schema.field("meta_published").type == pa.date32()
    assert schema.field("meta_weight").type == pa.float64()


def test_a_malformed_csv_row_keeps_the_column_types(tmp_path, tokenizer_only):
    path = tmp_path / "short.csv"
    path.write_text("id,year,day,text\nx,2021,2021-02-03,미국이 반도체를 통제한다.\ny,2022\n"
                    "z,2023,2023-09-30,중국이 반발했다.\n", encoding="utf-8")
    s = annotate_corpus(open_input(path), tmp_path / "out", pipeline=tokenizer_only, progress=False)
    assert (s.ok, s.error) == (2, 1)
    docs = read_table(tmp_path / "out")
    assert docs["meta_year"].tolist() == [2021, 2022, 2023]  # the short row keeps what it has
    assert pd.isna(docs["meta_day"][1]) and docs["meta_day"][2] == pd.Timestamp("2023-09-30")
    assert pq.read_schema(tmp_path / "out" / "documents" / "part-00000.parquet").field("meta_day").type == pa.date32()


def test_mention_rows_say_whether_the_lexicon_knows_the_actor():
    from nlp import Pipeline, document_from_text
    from nlp.corpus.tables import document_rows

    doc = Pipeline.default(["tokenize", "actors"])(document_from_text("서하준 의원은 미국을 방문했다.", "k"))
    _d, _s, mentions = document_rows(doc, 0)
    assert [(m["text"], m["actor"], m["known"]) for m in mentions] == [
        ("서하준", "~person:서하준", False), ("미국", "US", True)]
