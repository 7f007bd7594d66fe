"""``python -m rnninit``: the same as the ``rnninit`` command."""

from .cli import main

raise SystemExit(main())
