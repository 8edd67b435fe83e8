"""Transcribe: faster-whisper on the decoded audio; transcript and segments saved together.

``TranscribeOptions`` (``mumu.transcription.options``, the configuration's transcription
group) is what decides a transcript: it builds the decoding call and it is the stage's
key, so a change to either re-transcribes. The model itself comes from the process-wide
cache in ``mumu.transcription.whisper``, loaded on first use; planning reads the key
without loading it. A GPU that runs out of memory is taken by
``mumu.transcription.fallback``: the recording is transcribed again with less of it, and
the transcript says what it needed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from sqlalchemy import Engine, delete
from sqlmodel import Session, col

from mumu.db.models import Recording, Segment, Stage, Transcript
from mumu.db.recordings import update_recording
from mumu.db.runs import run_stage
from mumu.errors import ConfigurationError
from mumu.transcription import gate
from mumu.transcription.audio import SAMPLE_RATE, DecodedAudio
from mumu.transcription.channels import louder_elsewhere
from mumu.transcription.cues import split_long
from mumu.transcription.fallback import transcribed
from mumu.transcription.gate import TranscriptSegment, Word
from mumu.transcription.options import TranscribeOptions
from mumu.transcription.speech import (
    LanguageRun,
    Span,
    find_speech,
    language_runs,
    languages_spoken,
    speech_clips,
    within,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from faster_whisper import WhisperModel
    from faster_whisper.transcribe import Segment as WhisperSegment
    from faster_whisper.transcribe import TranscriptionInfo

NAME = Stage.TRANSCRIBE
WINDOW_S = 600.0


@dataclass(frozen=True)
class TranscriptResult:
    text: str
    language: str | None
    language_probability: float | None
    segments: list[TranscriptSegment]
    options: TranscribeOptions
    fallback: str | None = None
    """What the GPU's memory running out made it need (``mumu.transcription.fallback``)."""


def decode_segments(
    model: WhisperModel,
    audio: np.ndarray,
    options: TranscribeOptions,
    speech: list[tuple[float, float]] | None = None,
) -> tuple[list[WhisperSegment], tuple[str, float] | None]:
    """faster-whisper with mumu's options: the segments, and the language with its
    probability (None when there was nothing to decode).

    Sequential decoding does not condition on the previous text: on the shared clips it
    turned a wrong word into a loop that ran for minutes (WER 0.19 against 0.08).
    Batched decoding keeps timestamp tokens (without them the tiny model drops a quarter
    of the words, decision record 0013) and decodes ``speech_clips``: stretches of the
    recording as they were said, silences within them kept, rather than faster-whisper's
    default of speech from far apart glued into one chunk, after which the model often
    stops early (decision record 0019).
    """
    from mumu.transcription.batched import batched_pipeline

    if options.batch_size <= 1:
        found, info = _sequential(model, audio, options)
        return list(found), (info.language, info.language_probability)
    if not options.vad:
        raise ConfigurationError(
            "batched decoding cuts the audio where VAD finds speech: set "
            "MUMU_WHISPER_VAD=true, or MUMU_WHISPER_BATCH_SIZE=1 to decode without VAD"
        )
    clips = speech_clips(find_speech(audio) if speech is None else speech)
    if not clips:
        return [], None
    found, info = batched_pipeline(model).transcribe(
        audio,
        batch_size=options.batch_size,
        without_timestamps=False,
        clip_timestamps=clips,
        **options.decode_kwargs(),
    )
    segments = list(found)
    return segments, (info.language, info.language_probability)


def transcribe(decoded: DecodedAudio, options: TranscribeOptions) -> TranscriptResult:
    """The recording, or each channel that carries its own speaker
    (``mumu.transcription.channels``), merged in time order; see ``_transcribe_track``.
    The result carries ``options`` (its key) whatever fallback decoded it."""
    if options.diarize:
        from mumu.transcription.voices import encoder_for_voices

        encoder_for_voices()  # a missing extra is said before the Whisper pass, not after
    made = transcribed(options, partial(_transcribed, decoded))
    segments, confidence = made.value
    if decoded.speaker_channels:
        segments = [_unless_crosstalk(decoded, segment) for segment in segments]
    elif options.diarize:
        segments = _told_apart_by_voice(decoded, segments)
    segments.sort(key=lambda segment: (segment.start, segment.channel or 0))
    main = next(iter(languages_spoken(segments)), None)
    return TranscriptResult(
        text=" ".join(segment.text for segment in segments if segment.flag is None),
        language=main,
        language_probability=confidence.get(main) if main else None,
        segments=segments,
        options=options,
        fallback=made.fallback,
    )


def _transcribed(
    decoded: DecodedAudio, model: WhisperModel, options: TranscribeOptions
) -> tuple[list[TranscriptSegment], dict[str, float]]:
    """Every track's segments, and the best detection probability of each language."""
    confidence: dict[str, float] = {}
    segments: list[TranscriptSegment] = []
    for channel in decoded.speaker_channels or (None,):
        segments += _transcribe_track(model, decoded, channel, options, confidence)
    return segments, confidence


def _transcribe_track(
    model: WhisperModel,
    decoded: DecodedAudio,
    channel: int | None,
    options: TranscribeOptions,
    confidence: dict[str, float],
) -> list[TranscriptSegment]:
    """One channel (or the mix) a window at a time, so memory stays flat whatever its
    length; each window in runs of one language (``mumu.transcription.speech``), each run's segments
    through the hallucination gate (``mumu.transcription.gate``), labelled with the language it was
    decoded in and the channel (from 1) it was heard on. ``confidence`` collects the
    best detection probability of each language."""
    label = None if channel is None else channel + 1
    segments: list[TranscriptSegment] = []
    for first, samples in decoded.windows(WINDOW_S, channel=channel):
        speech = find_speech(samples) if options.vad else []
        for run in _language_runs(model, samples, speech, options):
            part = samples[int(run.start * SAMPLE_RATE) : int(run.end * SAMPLE_RATE)]
            run_options = replace(options, language=run.language or options.language)
            found, found_language = decode_segments(model, part, run_options, within(speech, run))
            reviewed = gate.review(
                [_segment(segment) for segment in found if segment.text.strip()],
                part,
                redecode=partial(_redecode, model, options=run_options),
                speech=within(speech, run),
            )
            reviewed = split_long(reviewed)
            language = run.language or (found_language[0] if found_language else None)
            if language and (run.probability or found_language):
                detected = run.probability or (found_language[1] if found_language else 0.0)
                confidence[language] = max(confidence.get(language, 0.0), detected)
            segments += [
                replace(
                    segment.shifted(first / SAMPLE_RATE + run.start),
                    language=language,
                    channel=label,
                )
                for segment in reviewed
            ]
    return segments


def _unless_crosstalk(decoded: DecodedAudio, segment: TranscriptSegment) -> TranscriptSegment:
    """A segment heard louder on another channel is that speaker leaking into this one."""
    if segment.flag is not None or segment.channel is None:
        return segment
    louder = louder_elsewhere(decoded, segment.channel - 1, segment.start, segment.end)
    if louder is None:
        return segment
    return replace(segment, flag=f"crosstalk: heard louder on channel {louder + 1}")


def _told_apart_by_voice(
    decoded: DecodedAudio, segments: list[TranscriptSegment]
) -> list[TranscriptSegment]:
    """Each trusted segment numbered with its speaker (``mumu.transcription.voices``)."""
    from mumu.transcription import voices

    prints = {
        index: voices.voiceprint(
            decoded.read(int(s.start * SAMPLE_RATE), int((s.end - s.start) * SAMPLE_RATE))
        )
        for index, s in enumerate(segments)
        if s.flag is None
    }
    heard = {index: found for index, found in prints.items() if found is not None}
    seconds = [segments[index].end - segments[index].start for index in heard]
    numbers = dict(zip(heard, voices.speaker_numbers(list(heard.values()), seconds), strict=True))
    return [replace(s, voice=numbers.get(index)) for index, s in enumerate(segments)]


def _language_runs(
    model: WhisperModel, samples: np.ndarray, speech: list[Span], options: TranscribeOptions
) -> list[LanguageRun]:
    """Runs of one language when the model can tell languages apart and none is set;
    otherwise the whole window, decoded in the set (or detected) language."""
    duration = len(samples) / SAMPLE_RATE
    if options.language or not model.model.is_multilingual or not speech:
        return [LanguageRun(0.0, duration, options.language)]

    def detect(start: float, end: float) -> list[tuple[str, float]]:
        clip = samples[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
        _, _, ranked = model.detect_language(clip)
        return [(language, float(probability)) for language, probability in ranked]

    return language_runs(speech, duration, detect)


def _redecode(
    model: WhisperModel, span: np.ndarray, *, options: TranscribeOptions
) -> list[TranscriptSegment]:
    """One span alone, sequentially: no previous text to lean on, temperature fallback."""
    found, _ = _sequential(model, span, options)
    return [_segment(segment) for segment in found if segment.text.strip()]


def _sequential(
    model: WhisperModel, audio: np.ndarray, options: TranscribeOptions
) -> tuple[Iterable[WhisperSegment], TranscriptionInfo]:
    found, info = model.transcribe(
        audio, vad_filter=options.vad, condition_on_previous_text=False, **options.decode_kwargs()
    )
    return found, info


def _segment(segment: WhisperSegment) -> TranscriptSegment:
    return TranscriptSegment(
        start=round(float(segment.start), 3),
        end=round(float(segment.end), 3),
        text=segment.text.strip(),
        avg_logprob=float(segment.avg_logprob),
        no_speech_prob=float(segment.no_speech_prob),
        compression_ratio=float(segment.compression_ratio),
        words=[
            Word(round(float(w.start), 3), round(float(w.end), 3), w.word, float(w.probability))
            for w in segment.words or []
        ],
    )


def run(
    engine: Engine, recording_id: int, decoded: DecodedAudio, options: TranscribeOptions
) -> TranscriptResult:
    return run_stage(
        engine,
        recording_id,
        NAME,
        options.key,
        lambda: transcribe(decoded, options),
        lambda session, result: save(session, recording_id, result),
    )


def save(session: Session, recording_id: int, result: TranscriptResult) -> None:
    """The transcript and its segments replace what was stored, in one transaction."""
    session.execute(delete(Segment).where(col(Segment.recording_id) == recording_id))
    session.execute(delete(Transcript).where(col(Transcript.recording_id) == recording_id))
    session.flush()
    session.add(
        Transcript(
            recording_id=recording_id,
            text=result.text,
            language=result.language,
            language_probability=result.language_probability,
            model=result.options.model,
            settings_key=result.options.key,
            fallback=result.fallback,
        )
    )
    session.add_all(
        Segment(
            recording_id=recording_id,
            idx=index,
            start=segment.start,
            end=segment.end,
            text=segment.text,
            avg_logprob=segment.avg_logprob,
            no_speech_prob=segment.no_speech_prob,
            words=[asdict(word) for word in segment.words],
            flag=segment.flag,
            doubt=segment.doubt,
            language=segment.language,
            channel=segment.channel,
            voice=segment.voice,
        )
        for index, segment in enumerate(result.segments)
    )
    recording = session.get(Recording, recording_id)
    kept = {
        label: name
        for label, name in (recording.speakers if recording else {}).items()
        if not label.startswith("speaker ")  # voices are numbered anew each transcription
    }
    update_recording(session, recording_id, language=result.language, speakers=kept)
