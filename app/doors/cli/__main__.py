"""`python -m app.doors.cli`: the `supportbot` command without the installed script (the
scheduler starts each nightly ingest this way)."""

import sys

from app.doors.cli import main

sys.exit(main())
