"""The screen (``mumu.stages.screen``) with its refusals told as their runs would tell
them: Sentry, notices, the progress display. Plain functions without Prefect, so that
``mumu run`` sorts a folder before it imports Prefect, and a folder that needs no run
never imports it."""

from __future__ import annotations

from collections.abc import Sequence

from mumu import notify, progress
from mumu.db.engine import engine_for
from mumu.intake.sources import Source
from mumu.links import links
from mumu.sentry import report_stage_failure
from mumu.settings import Settings
from mumu.stages import screen as stage
from mumu.stages.plan import planned_keys


def screen_and_report(sources: Sequence[Source], settings: Settings) -> stage.Screened:
    screened = stage.screen(
        sources, engine_for(settings.database), settings.intake, planned_keys(settings)
    )
    notices = settings.notices
    for refused, refusal in screened.refused:
        report_stage_failure(
            settings.reporting, refused.recording_id, refusal.stage, refusal.reason, True
        )
        if notify.wanted(notices):
            notify.announce(notices, refused, links(notices, refused.recording_id))
        progress.finished(refused)
    return screened
