"""The ``mumu`` command, a module per group of commands.

``common`` (the app, consoles, failures, database handles), ``run`` (the pipeline),
``library`` (list, show, export, search, ask, speakers), ``erase`` (delete), ``admin`` (db upgrade,
sidecar), ``devtools`` (eval, bench, bench-library). Importing the package registers
every command on ``app``, in the order of these imports, which ``mumu --help`` keeps.
"""

# isort: off
from mumu.cli import run, library, erase, admin, devtools
from mumu.cli.common import app

# isort: on

__all__ = ["admin", "app", "devtools", "erase", "library", "run"]
