"""``python -m lrjit``: the command line (:mod:`lrjit.cli`)."""

from lrjit.cli.main import main

raise SystemExit(main())
