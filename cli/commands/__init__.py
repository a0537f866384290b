"""Operator sub-commands of ``baton``, one module per resource: deploy, start, inspect and repair
instances over the API (:mod:`cli.session` says how they reach it and how they exit).
``cli.main`` adds them to the ``baton`` group."""
