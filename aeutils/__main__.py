"""``python -m aeutils``: the command line (:mod:`aeutils.cli.main`)."""

from .cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
