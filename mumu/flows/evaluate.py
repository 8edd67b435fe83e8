"""The golden set as a Prefect flow: a candidate's transcripts against the current ones."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow
from prefect.artifacts import create_table_artifact
from prefect.client.schemas.objects import State
from prefect.states import Failed

from mumu.blocks import settings_from_blocks
from mumu.devtools.evaluate import (
    DEFAULT_MARGIN,
    Score,
    candidate_settings,
    compare,
    golden_set,
    score,
)
from mumu.errors import BadInput, ConfigurationError, one_line
from mumu.flows.states import configuration_failed


@flow(name="evaluate")
def evaluate(
    candidate: list[str],
    golden: list[str],
    margin: float = DEFAULT_MARGIN,
    whisper_block: str | None = None,
) -> dict[str, Any] | State:
    """Score the golden set (folders with references.json, or audio with .txt) with the
    current settings and with ``candidate`` (``NAME=VALUE`` overrides); Failed when the
    candidate is worse by more than ``margin`` in word error rate."""
    try:
        current_settings = settings_from_blocks(whisper_block)
        other = candidate_settings(candidate, current_settings)
        items = golden_set([Path(folder) for folder in golden])
        if not items:
            raise ConfigurationError(f"no recordings with reference text in {golden}")
        current = score(items, current_settings, "current")
        challenger = score(items, other, "candidate")
    except (ConfigurationError, ValueError) as exc:
        return configuration_failed(ConfigurationError(one_line(exc)))
    except BadInput as exc:
        return Failed(message=f"golden set: {exc}")
    verdict = compare(current, challenger, margin)
    create_table_artifact(
        key="mumu-evaluation",
        table=_rows(current, challenger),
        description=f"{current.key} against {challenger.key}",
    )
    if verdict.worse:
        return Failed(message="candidate is worse: " + "; ".join(verdict.reasons))
    return {"current": current.as_dict(), "candidate": challenger.as_dict()}


def _rows(current: Score, candidate: Score) -> list[dict[str, Any]]:
    before = {file.name: file for file in current.files}
    rows = [
        {
            "file": file.name,
            "WER current": round(before[file.name].wer, 3),
            "WER candidate": round(file.wer, 3),
            "flagged current": before[file.name].flagged,
            "flagged candidate": file.flagged,
        }
        for file in candidate.files
    ]
    rows.append(
        {
            "file": "all",
            "WER current": round(current.wer, 3),
            "WER candidate": round(candidate.wer, 3),
            "flagged current": current.flagged,
            "flagged candidate": candidate.flagged,
        }
    )
    return rows
