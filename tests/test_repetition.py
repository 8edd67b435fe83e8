from mumu.repetition import collapse, loop, words


def test_a_word_group_said_again_and_again_is_a_loop() -> None:
    assert loop(words("sufathan, sufathan, sufathan, sufathan")) == ("sufathan", 4)
    assert loop(words("we will we will we will we will rock")) == ("we will", 4)
    assert loop(words("ask not what your country can do for you")) is None


def test_a_loop_is_said_once_and_a_sentence_said_again_is_dropped() -> None:
    assert collapse(" ".join(["Your Country Can Do It."] * 12)) == "Your Country Can Do It."
    assert collapse("The plan is is is is is good.") == "The plan is good."
    assert collapse("Ship it. ship it! Then test.") == "Ship it. Then test."
    assert collapse("ok ok ok ok ok ok") == "ok"


def test_text_without_loops_is_kept_as_it_is() -> None:
    said = "We agreed: Bob ships on Friday. Alice reviews it, and then we ship."
    assert collapse(said) == said


def test_letters_that_change_length_when_lowered_lose_no_word() -> None:
    """ "İ".lower() is two characters: words and their places in the text stay together."""
    said = "Ali İzmir'de: evet evet evet evet, sonra toplantı bitti."
    assert collapse(said) == "Ali İzmir'de: evet, sonra toplantı bitti."
    assert collapse("İİİİ İİİİ İİİİ İİİİ") == "İİİİ"


def test_a_long_reply_full_of_loops_is_collapsed_to_a_few_words() -> None:
    looped = " ".join(["budget budget budget budget approved"] * 4000)
    assert set(collapse(looped).split()) == {"budget", "approved"}
    assert len(collapse(looped).split()) <= 4
