"""Search over transcript segments: full-text, ranked by the database, and hybrid.

Postgres ranks with ``ts_rank_cd`` over each segment's stored English ``tsvector``
(a generated column with a GIN index, so no candidate's text is parsed at query time);
SQLite with FTS5's ``bm25`` (porter stemming). Terms are OR-ed, not AND-ed: a question in plain
words ("what did they say about the refund?") should find the segment that has some of
them, best matches first, rather than nothing because one word is missing.

With an embeddings endpoint configured, ``find`` also ranks every segment by cosine
similarity to the question and fuses the two rankings (reciprocal rank fusion), so a
segment found by meaning, or despite a misspelling, still surfaces.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mumu.db.reading import Database, Library, from_json, reading
from mumu.db.retry import retrying
from mumu.db.views import like_pattern
from mumu.speakers import speaker_name

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from mumu.setting_groups import LLMConfig

_STOPWORD_TEXT = """
a about an and are as at be but by did do does for from had has have he her his how i in
is it its me my of on or our say said she so than that the their them they this to was we
were what when where which who why will with would you your
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

COLUMNS = """s.id, s.recording_id, r.source, s.start, s."end", s.text, s.language,
           s.channel, s.voice, r.speakers"""
# The query is written out twice, not shared through a CTE: the planner then sees it,
# estimates how many segments match, and for a common word walks the newest segments
# backwards until it has the candidates (a CTE hid it: a bitmap over all 500,000
# matches, 728 ms at 3 million segments, against 153 ms).
POSTGRES = """
    WITH candidates AS (
        SELECT s.id FROM segments s
        WHERE s.search_vector @@ {tsquery} AND s.flag IS NULL {within}
        ORDER BY s.id DESC
        LIMIT :candidates
    )
    SELECT {columns}, ts_rank_cd(s.search_vector, {tsquery}) AS score
    FROM candidates c
    JOIN segments s ON s.id = c.id
    JOIN recordings r ON r.id = s.recording_id
    ORDER BY {order}
    LIMIT :limit OFFSET :offset
"""
SQLITE = """
    WITH candidates AS (
        SELECT s.id AS id, -bm25(segments_fts) AS score FROM {drive}
        WHERE segments_fts MATCH :query AND s.flag IS NULL {within}
        ORDER BY s.id DESC
        LIMIT :candidates
    )
    SELECT {columns}, c.score
    FROM candidates c
    JOIN segments s ON s.id = c.id
    JOIN recordings r ON r.id = s.recording_id
    ORDER BY {order}
    LIMIT :limit OFFSET :offset
"""
# SQLite walks the word's matches newest first; within one recording it walks that
# recording's segments instead (CROSS JOIN fixes the order: a word in a million
# segments, searched in one old recording, 27 s against 77 ms at 10 million segments).
FROM_MATCHES = "segments_fts f JOIN segments s ON s.id = f.rowid"
FROM_RECORDING = "segments s CROSS JOIN segments_fts f ON f.rowid = s.id"
BEST_FIRST = "score DESC, s.id"
NEWEST_FIRST = "s.id DESC"
RANKED_AT_MOST = 2000
PHRASE = re.compile(r'"([^"]*)"')


@dataclass(frozen=True)
class Within:
    """Where a search looks: one recording, recordings stored since a moment or whose
    source matches a glob (as ``mumu list`` takes them), segments said in a language.
    Nothing given: every stored transcript."""

    recording: int | None = None
    since: datetime | None = None
    source: str | None = None
    language: str | None = None

    def sql(self) -> tuple[str, dict[str, Any]]:
        """``AND`` clauses over ``segments s``, and their values."""
        clauses: list[str] = []
        values: dict[str, Any] = {}
        if self.recording is not None:
            clauses.append("s.recording_id = :within_recording")
            values["within_recording"] = self.recording
        if self.since is not None:
            clauses.append(
                "s.recording_id IN (SELECT id FROM recordings WHERE created_at >= :within_since)"
            )
            values["within_since"] = self.since
        if self.source:
            clauses.append(
                "s.recording_id IN (SELECT id FROM recordings "
                "WHERE source LIKE :within_source ESCAPE '\\')"
            )
            values["within_source"] = like_pattern(self.source)
        if self.language:  # segments stored before 0007 carry only their recording's
            clauses.append(
                "COALESCE(s.language, "
                "(SELECT language FROM recordings WHERE id = s.recording_id)) = :within_language"
            )
            values["within_language"] = self.language
        return "".join(f" AND {clause}" for clause in clauses), values


@dataclass(frozen=True)
class Hit:
    segment_id: int
    recording_id: int
    source: str
    start: float
    end: float
    text: str
    score: float
    language: str | None = None
    speaker: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def terms(query: str) -> list[str]:
    """The words a query is searched by: any of them, stopwords aside."""
    words = re.findall(r"\w+", PHRASE.sub(" ", query).lower())
    return [word for word in dict.fromkeys(words) if word not in STOPWORDS]


def phrases(query: str) -> list[str]:
    """Quoted parts of a query: each must be said as written, word for word."""
    found = (" ".join(re.findall(r"\w+", phrase.lower())) for phrase in PHRASE.findall(query))
    return [phrase for phrase in found if phrase]


EVERYWHERE = Within()


@retrying
def search(
    db: Library,
    query: str,
    limit: int = 10,
    offset: int = 0,
    newest: bool = False,
    within: Within = EVERYWHERE,
) -> list[Hit]:
    """The best matching segments (or the newest, ``newest``), ranked among the most
    recent ``RANKED_AT_MOST`` that match: the cost follows the answer, not the size of
    the library. A word that matches fewer segments than that is ranked over all of them.
    """
    words, said = terms(query), phrases(query)
    if not words and not said:
        return []
    params: dict[str, Any] = {
        "limit": limit,
        "offset": offset,
        "candidates": max(RANKED_AT_MOST, offset + limit),
    }
    with reading(db) as database:
        statement = _statement(database.dialect, words, said, newest, within, params)
        return [_hit(row, float(row["score"])) for row in database.rows(statement, params)]


def _statement(
    dialect: str,
    words: list[str],
    said: list[str],
    newest: bool,
    within: Within,
    params: dict[str, Any],
) -> str:
    """The search's SQL for the database; its values are added to ``params``."""
    order = NEWEST_FIRST if newest else BEST_FIRST
    scope, scoped = within.sql()
    params |= scoped
    if dialect == "postgresql":
        parts = []
        if words:
            parts.append(
                "to_tsquery('english', replace(plainto_tsquery('english', :words)::text, '&', '|'))"
            )
            params["words"] = " ".join(words)
        for index, phrase in enumerate(said):
            parts.append(f"phraseto_tsquery('english', :phrase{index})")
            params[f"phrase{index}"] = phrase
        tsquery = "(" + " && ".join(f"({part})" for part in parts) + ")"
        return POSTGRES.format(tsquery=tsquery, columns=COLUMNS, order=order, within=scope)
    quoted = [f'"{word}"' for word in words]
    match = [f"({' OR '.join(quoted)})"] if quoted else []
    match += [f'"{phrase}"' for phrase in said]
    params["query"] = " AND ".join(match)
    drive = FROM_MATCHES if within.recording is None else FROM_RECORDING
    return SQLITE.format(columns=COLUMNS, order=order, within=scope, drive=drive)


NEIGHBOURS = """
    SELECT {columns}
    FROM segments s JOIN recordings r ON r.id = s.recording_id
    WHERE s.recording_id = :recording AND s.flag IS NULL
      AND s.idx BETWEEN (SELECT idx FROM segments WHERE id = :segment) - :around
                    AND (SELECT idx FROM segments WHERE id = :segment) + :around
"""


@retrying
def neighbours(db: Library, hits: list[Hit], around: int = 1) -> list[Hit]:
    """The hits with the segments just before and after each, in recording order."""
    if not hits:
        return []
    found: dict[int, Hit] = {}
    statement = NEIGHBOURS.format(columns=COLUMNS)
    with reading(db) as database:
        for hit in hits:
            rows = database.rows(
                statement,
                {"recording": hit.recording_id, "segment": hit.segment_id, "around": around},
            )
            for row in rows:
                score = hit.score if row["id"] == hit.segment_id else 0.0
                found.setdefault(row["id"], _hit(row, score))
    return sorted(found.values(), key=lambda h: (h.recording_id, h.start))


CANDIDATES = 50
RRF_K = 60
VECTORS = """
    SELECT e.segment_id, e.vector FROM segment_embeddings e
    JOIN segments s ON s.id = e.segment_id
    WHERE e.model = :model AND s.flag IS NULL {within}
"""


def find(
    db: Library,
    llm: LLMConfig,
    query: str,
    limit: int = 10,
    offset: int = 0,
    newest: bool = False,
    within: Within = EVERYWHERE,
) -> list[Hit]:
    """Full-text search, fused with vector similarity when embeddings are configured
    (and the best, not the newest, are asked for)."""
    if newest or not llm.embeddings_configured:
        return search(db, query, limit, offset, newest, within)
    if isinstance(db, Database):
        raise TypeError("hybrid search stores missing vectors: it needs the engine")
    rankings = [
        search(db, query, CANDIDATES, within=within),
        nearest(db, llm, query, CANDIDATES, within),
    ]
    fused: dict[int, float] = {}
    by_id: dict[int, Hit] = {}
    for ranking in rankings:
        for rank, hit in enumerate(ranking, start=1):
            fused[hit.segment_id] = fused.get(hit.segment_id, 0.0) + 1 / (RRF_K + rank)
            by_id.setdefault(hit.segment_id, hit)
    ranked = sorted(fused, key=lambda segment_id: (-fused[segment_id], segment_id))
    best = ranked[offset : offset + limit]
    return [replace(by_id[segment_id], score=round(fused[segment_id], 6)) for segment_id in best]


def nearest(
    engine: Engine, llm: LLMConfig, query: str, limit: int, within: Within = EVERYWHERE
) -> list[Hit]:
    """Segments by cosine similarity to the query; missing vectors are computed first."""
    import numpy as np

    from mumu.llm.embeddings import embed

    model = llm.embeddings_model or ""
    _embed_missing(engine, llm, model)
    scope, scoped = within.sql()
    with reading(engine) as database:
        rows = database.rows(VECTORS.format(within=scope), {"model": model, **scoped})
    if not rows:
        return []
    ids = [row["segment_id"] for row in rows]
    matrix = np.array([_vector(row["vector"]) for row in rows], dtype=np.float32)
    question = np.array(embed(llm, [query])[0], dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1) * (np.linalg.norm(question) or 1.0)
    scores = (matrix @ question) / np.where(norms == 0, 1.0, norms)
    order = np.argsort(-scores)[:limit]
    chosen = {ids[i]: float(scores[i]) for i in order}
    ids_in = {f"id{index}": segment_id for index, segment_id in enumerate(chosen)}
    with reading(engine) as database:
        segments = database.rows(
            f"SELECT {COLUMNS} FROM segments s JOIN recordings r ON r.id = s.recording_id "  # noqa: S608 - fixed text
            f"WHERE s.flag IS NULL AND s.id IN ({', '.join(':' + name for name in ids_in)})",
            ids_in,
        )
    hits = [_hit(row, chosen[row["id"]]) for row in segments]
    return sorted(hits, key=lambda hit: -hit.score)


def _embed_missing(engine: Engine, llm: LLMConfig, model: str) -> None:
    with reading(engine) as database:
        missing = database.rows(
            "SELECT s.id, s.text FROM segments s WHERE s.flag IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM segment_embeddings e WHERE e.segment_id = s.id "
            "AND e.model = :model)",
            {"model": model},
        )
    if not missing:
        return
    from mumu.db.engine import transaction
    from mumu.db.models import SegmentEmbedding
    from mumu.llm.embeddings import embed

    vectors = embed(llm, [row["text"] for row in missing])
    with transaction(engine) as session:
        for segment_id, vector in zip((row["id"] for row in missing), vectors, strict=True):
            session.merge(SegmentEmbedding(segment_id=segment_id, model=model, vector=vector))


def _hit(row: dict[str, Any], score: float) -> Hit:
    """A hit from a row of ``segments s JOIN recordings r`` (``COLUMNS``)."""
    return Hit(
        row["id"],
        row["recording_id"],
        row["source"],
        row["start"],
        row["end"],
        row["text"],
        round(score, 6),
        row["language"],
        speaker_name(row["channel"], row["voice"], from_json(row["speakers"]) or {}),
    )


def _vector(value: Any) -> list[float]:
    return list(from_json(value))
