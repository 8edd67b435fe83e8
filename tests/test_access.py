"""Who may read a recording's pages: tokens, signed links, and their expiry."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import SecretStr

from mumu.access import AccessConfig, Verdict, judge, link, signed_path
from mumu.errors import ConfigurationError
from mumu.settings import Settings, get_settings

KEY = SecretStr("link-key-for-tests")
NOW = 1_800_000_000.0
PAGE = "/recordings/4/notes.md"


def query_of(signed: str) -> tuple[str, str, str]:
    parts = urlsplit(signed)
    query = parse_qs(parts.query)
    return parts.path, query["expires"][0], query["signature"][0]


def judged(access: AccessConfig, path: str, expires: str, signature: str, now: float) -> Verdict:
    return judge(access, path, None, expires, signature, now)


def test_nothing_configured_lets_nobody_in() -> None:
    nothing = Settings().access
    assert judge(nothing, PAGE, None, None, None) is Verdict.NO_CREDENTIAL
    assert judge(nothing, PAGE, "Bearer ", None, None) is Verdict.NO_CREDENTIAL
    assert judge(nothing, PAGE, None, "9999999999", "00") is Verdict.BAD_SIGNATURE
    assert signed_path(nothing, PAGE) is None


def test_any_of_several_tokens_opens_a_page_and_nothing_else_does() -> None:
    access = Settings(access_tokens=SecretStr("old-token-0123456, new-token-0123456")).access
    assert judge(access, PAGE, "Bearer new-token-0123456", None, None) is Verdict.ALLOWED
    assert judge(access, PAGE, "bearer old-token-0123456", None, None) is Verdict.ALLOWED
    for wrong in (
        "Bearer new-token-012345",
        "Bearer new-token-01234567",
        "Basic new-token-0123456",
        "new-token-0123456",
        "",
    ):
        assert judge(access, PAGE, wrong, None, None) is Verdict.NO_CREDENTIAL, wrong


def test_a_signed_link_opens_its_page_until_it_expires() -> None:
    access = AccessConfig(link_key=KEY, link_ttl_s=3600)
    path, expires, signature = query_of(signed_path(access, PAGE, now=NOW) or "")
    assert path == PAGE and int(expires) == NOW + 3600
    assert judged(access, PAGE, expires, signature, NOW + 3599) is Verdict.ALLOWED
    assert judged(access, PAGE, expires, signature, NOW + 3601) is Verdict.BAD_SIGNATURE


def test_a_link_cannot_be_moved_to_another_page_stretched_or_forged() -> None:
    access = AccessConfig(link_key=KEY, link_ttl_s=3600)
    _, expires, signature = query_of(signed_path(access, PAGE, now=NOW) or "")
    assert (
        judged(access, "/recordings/5/notes.md", expires, signature, NOW) is Verdict.BAD_SIGNATURE
    )
    later = str(int(expires) + 86_400)
    assert judged(access, PAGE, later, signature, NOW) is Verdict.BAD_SIGNATURE
    forged = signature[:-1] + ("1" if signature[-1] != "1" else "2")
    assert judged(access, PAGE, expires, forged, NOW) is Verdict.BAD_SIGNATURE
    assert judged(access, PAGE, "soon", signature, NOW) is Verdict.BAD_SIGNATURE
    other = AccessConfig(link_key=SecretStr("another-key"))
    assert judged(other, PAGE, expires, signature, NOW) is Verdict.BAD_SIGNATURE


def test_links_are_made_at_the_public_address_signed_when_there_is_a_key() -> None:
    assert link(AccessConfig(link_key=KEY), PAGE) is None, "no public address"
    plain = AccessConfig(public_url="https://mumu.example/")
    assert link(plain, PAGE) == f"https://mumu.example{PAGE}"
    signed = link(AccessConfig(link_key=KEY, public_url="https://mumu.example"), PAGE, NOW)
    assert signed is not None and signed.startswith(f"https://mumu.example{PAGE}?expires=")


def test_tokens_and_the_link_key_are_secrets_kept_out_of_what_mumu_says() -> None:
    settings = Settings(
        access_tokens=SecretStr("tok-one-0123456789,tok-two-0123456789"), link_key=KEY
    )
    assert {"tok-one-0123456789", "tok-two-0123456789", KEY.get_secret_value()} <= set(
        settings.secrets()
    )
    assert "tok-one" not in repr(settings.access) and "tok-one" not in repr(settings)


def test_an_empty_key_is_no_key_and_a_short_one_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MUMU_LINK_KEY", "")
    monkeypatch.setenv("MUMU_ACCESS_TOKENS", " ")
    get_settings.cache_clear()
    access = get_settings().access
    assert access.link_key is None and access.tokens == (), "nobody can sign with ''"
    for variable, value in (
        ("MUMU_LINK_KEY", "k"),
        ("MUMU_ACCESS_TOKENS", "long-enough-token-0,short"),
    ):
        monkeypatch.setenv(variable, value)
        get_settings.cache_clear()
        with pytest.raises(
            ConfigurationError, match=f"^{variable}=\\(hidden\\): each key or token"
        ):
            get_settings()
        monkeypatch.delenv(variable)
