"""The command line: ``lrjit show | plot | eval | convert | families`` (``python -m lrjit``), one module per
command on the public API of the layers below; :func:`lrjit.cli.main.main` is the console script."""
