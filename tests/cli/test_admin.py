"""Operating mumu: the sidecar's tokens from a Prefect Secret block."""

from __future__ import annotations

import pytest
import typer
from pydantic import SecretStr

from mumu.access import Verdict, judge
from mumu.cli.admin import with_block_tokens
from mumu.settings import Settings


@pytest.mark.slow
@pytest.mark.usefixtures("prefect_api")
def test_the_sidecar_takes_tokens_from_a_secret_block_beside_the_environment() -> None:
    from prefect.blocks.system import Secret

    Secret(value=SecretStr("from-the-block")).save("mumu-test-tokens", overwrite=True)
    settings = Settings(
        access_tokens=SecretStr("from-the-environment"), access_tokens_block="mumu-test-tokens"
    )
    access = with_block_tokens(settings).access
    for token in ("from-the-block", "from-the-environment"):
        assert judge(access, "/recordings/1", f"Bearer {token}", None, None) is Verdict.ALLOWED
    with pytest.raises(typer.Exit):
        with_block_tokens(Settings(access_tokens_block="no-such-block"))
    assert with_block_tokens(Settings()) == Settings()
