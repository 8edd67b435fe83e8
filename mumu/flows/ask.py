"""Ask the recordings a question; the answer and its sources come back as an artifact."""

from __future__ import annotations

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.objects import State

from mumu.ask import AskResult, answer_question, markdown
from mumu.blocks import settings_from_blocks
from mumu.db.engine import engine_for
from mumu.errors import ConfigurationError
from mumu.flows.states import configuration_failed


@flow(name="ask", flow_run_name="{question}")
def ask(
    question: str,
    limit: int = 8,
    llm_block: str | None = None,
    database_block: str | None = None,
) -> AskResult | State:
    try:
        settings = settings_from_blocks(None, llm_block, database_block)
    except ConfigurationError as exc:
        return configuration_failed(exc)
    result = answer_question(question, settings, engine_for(settings), limit)
    create_markdown_artifact(
        key="mumu-answer", markdown=markdown(result), description=result.question[:200]
    )
    return result
