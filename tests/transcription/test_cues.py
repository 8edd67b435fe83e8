from mumu.transcription.cues import MAX_SEGMENT_S, split_long
from mumu.transcription.gate import TranscriptSegment, Word


def spoken(*said: tuple[str, float, float]) -> TranscriptSegment:
    words = [Word(start, end, f" {word}", 0.9) for word, start, end in said]
    text = "".join(w.word for w in words).strip()
    return TranscriptSegment(words[0].start, words[-1].end, text, -0.3, 0.01, 1.4, words)


def evenly(text: str, start: float, seconds_a_word: float) -> list[tuple[str, float, float]]:
    return [
        (word, start + i * seconds_a_word, start + (i + 0.8) * seconds_a_word)
        for i, word in enumerate(text.split())
    ]


def test_a_long_segment_is_cut_where_speech_pauses_and_keeps_every_word() -> None:
    first = evenly("We shipped the billing page on Monday and the error rate is down.", 0, 0.6)
    second = evenly("Bob, please update the documentation before Friday.", 12.0, 0.6)
    third = evenly("The budget for the offsite was approved yesterday.", 30.0, 0.6)
    long = spoken(*first, *second, *third)
    assert long.end - long.start > 2 * MAX_SEGMENT_S
    parts = split_long([long])
    assert [p.text for p in parts] == [
        "We shipped the billing page on Monday and the error rate is down.",
        "Bob, please update the documentation before Friday.",
        "The budget for the offsite was approved yesterday.",
    ]
    assert all(p.end - p.start <= MAX_SEGMENT_S for p in parts)
    assert [p.start for p in parts] == [0.0, 12.0, 30.0]
    assert sum(len(p.words) for p in parts) == len(long.words)


def test_short_segments_and_segments_kept_out_are_left_as_they_are() -> None:
    short = spoken(*evenly("Let us start.", 0, 0.5))
    looping = spoken(*evenly("sufathan " * 40, 0, 0.6))
    looping = TranscriptSegment(**{**looping.__dict__, "flag": "repetition loop"})
    assert split_long([short, looping]) == [short, looping]


def test_speech_without_a_pause_is_still_cut_into_parts_a_reader_can_cite() -> None:
    ramble = spoken(*evenly(" ".join(f"word{i}" for i in range(80)), 0, 0.5))
    parts = split_long([ramble])
    assert len(parts) >= 3 and all(p.end - p.start <= MAX_SEGMENT_S for p in parts)
    assert " ".join(p.text for p in parts) == ramble.text


def test_sentences_the_speaker_pauses_after_are_segments_of_their_own() -> None:
    """What hotwords do to Whisper's timestamps: eight paused sentences in four segments."""
    said = [*evenly("Let us start.", 0, 0.5), *evenly("The page shipped, finally.", 2.5, 0.5)]
    said += evenly("It works. Really", 5.5, 0.3)
    parts = split_long([spoken(*said)])
    assert [p.text for p in parts] == [
        "Let us start.",
        "The page shipped, finally.",
        "It works. Really",
    ]
    assert [(p.start, p.end) for p in parts][:2] == [(0.0, 1.4), (2.5, 4.4)]


def test_a_segment_whose_words_do_not_spell_its_text_is_left_whole() -> None:
    said = spoken(*evenly("one. two.", 0, 9.0))
    rewritten = TranscriptSegment(**{**said.__dict__, "text": "Completely different text."})
    assert split_long([rewritten]) == [rewritten]
