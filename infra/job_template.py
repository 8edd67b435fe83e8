"""Print a Docker work pool's base job template with this site's choices as defaults.

    python infra/job_template.py infra/docker-gpu-job-template.json mumu-gpu:latest

infra/setup.sh runs it for both pools. From the environment:

- ``MUMU_DOCKER_NETWORK``: ``host`` (default: one machine, or several that reach the
  Prefect server and the database by name) or a Docker network (``mumu`` in the
  compose stack).
- ``MUMU_MODELS_VOLUME`` (default ``mumu-models``) and ``MUMU_INBOX_VOLUME`` (default
  ``mumu-inbox``): named volumes or host folders, mounted at /models and /data/inbox.
- ``MUMU_PUBLIC_URL``: where people reach the sidecar; flow runs link transcripts there,
  each link signed to expire with the ``mumu-link-key`` Secret block (infra/setup.sh
  saves it from ``MUMU_LINK_KEY``; the sidecar verifies with the same key).
- ``MUMU_RETENTION_DAYS``: set, the ``retention`` deployment's runs erase recordings
  stored longer ago than that.
- ``MUMU_NOTIFY_URL``: set, flow runs announce each recording there, signed. The pool
  holds only references to the ``mumu-notify-url`` and ``mumu-notify-secret`` Secret
  blocks (infra/setup.sh saves them); the worker resolves them for each flow run.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any


def render(template: dict[str, Any], image: str, environ: dict[str, str]) -> dict[str, Any]:
    variables = template["variables"]["properties"]
    variables["image"]["default"] = image
    network = environ.get("MUMU_DOCKER_NETWORK") or "host"
    variables["network_mode"]["default"] = network
    variables["networks"]["default"] = []
    models = environ.get("MUMU_MODELS_VOLUME") or "mumu-models"
    inbox = environ.get("MUMU_INBOX_VOLUME") or "mumu-inbox"
    variables["volumes"]["default"] = [f"{models}:/models", f"{inbox}:/data/inbox"]
    if environ.get("MUMU_PUBLIC_URL"):
        variables["env"]["default"] |= {
            "MUMU_PUBLIC_URL": environ["MUMU_PUBLIC_URL"],
            "MUMU_LINK_KEY": "{{ prefect.blocks.secret.mumu-link-key }}",
        }
    if environ.get("MUMU_RETENTION_DAYS"):
        variables["env"]["default"]["MUMU_RETENTION_DAYS"] = environ["MUMU_RETENTION_DAYS"]
    if environ.get("MUMU_NOTIFY_URL"):
        variables["env"]["default"] |= {
            "MUMU_NOTIFY_URL": "{{ prefect.blocks.secret.mumu-notify-url }}",
            "MUMU_NOTIFY_SECRET": "{{ prefect.blocks.secret.mumu-notify-secret }}",
        }
    return template


if __name__ == "__main__":
    path, image = sys.argv[1:3]
    with open(path) as handle:
        json.dump(render(json.load(handle), image, dict(os.environ)), sys.stdout, indent=2)
