"""Ask the recordings a question; the answer and its sources come back as an artifact."""

from __future__ import annotations

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.client.schemas.objects import State

from mumu import progress
from mumu.blocks import settings_from_blocks
from mumu.db.engine import engine_for
from mumu.errors import ConfigurationError
from mumu.flows.states import configuration_failed
from mumu.llm.ask import AskResult, answer_question, markdown


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
    logger = get_run_logger()

    def waiting(spent: float, budget: float) -> None:
        progress.report(question, f"waiting for the LLM: {spent:.0f} s of {budget:.0f} s")
        logger.info("waiting for the LLM: %.0f s of the %.0f s budget", spent, budget)

    result = answer_question(question, settings.llm, engine_for(settings.database), limit, waiting)
    create_markdown_artifact(
        key="mumu-answer", markdown=markdown(result), description=result.question[:200]
    )
    return result
