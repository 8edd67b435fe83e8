"""The stages of a recording and the key that says what produced each one's output.

A stage whose stored key equals the key the current settings would produce is not run
again: a second run over the same files does nothing, a changed LLM prompt or model
re-runs the LLM step without re-transcribing, and a changed Whisper setting
re-transcribes (and so re-summarises).
"""

from __future__ import annotations

from mumu.llm.insights import PROMPT_VERSION
from mumu.settings import Settings

INGEST = "ingest"
AUDIO = "audio"
TRANSCRIBE = "transcribe"
INSIGHTS = "insights"
ORDER = (INGEST, AUDIO, TRANSCRIBE, INSIGHTS)

AUDIO_KEY = "pyav-16k-mono"
NO_LLM_REASON = "no LLM endpoint configured (set OPENAI_BASE_URL or OPENAI_API_KEY)"


def settings_key(settings: Settings) -> str:
    """What decides the transcript: a change here re-transcribes on the next run."""
    return "|".join(
        [
            settings.whisper_model,
            f"beam={settings.whisper_beam_size}",
            f"batch={settings.whisper_batch_size}",
            f"lang={settings.whisper_language or 'auto'}",
            f"vad={int(settings.whisper_vad)}",
            f"words={int(settings.whisper_word_timestamps)}",
        ]
    )


def planned_keys(settings: Settings) -> dict[str, str]:
    transcribe_key = settings_key(settings)
    if settings.llm_configured:
        insights_key = f"prompt={PROMPT_VERSION}|llm={settings.llm_model}|{transcribe_key}"
    else:
        insights_key = f"no-llm|{transcribe_key}"
    return {AUDIO: AUDIO_KEY, TRANSCRIBE: transcribe_key, INSIGHTS: insights_key}


def stages_to_run(planned: dict[str, str], done: dict[str, str | None]) -> list[str]:
    """Stages whose stored output is missing or stale, plus every stage after them.

    Audio is decoded only to be transcribed, so it runs whenever transcription does.
    """
    stale = [stage for stage in (AUDIO, TRANSCRIBE, INSIGHTS) if done.get(stage) != planned[stage]]
    if not stale:
        return []
    first = min(ORDER.index(stage) for stage in stale)
    if ORDER[first] == INSIGHTS:
        return [INSIGHTS]
    return [AUDIO, TRANSCRIBE, INSIGHTS]
