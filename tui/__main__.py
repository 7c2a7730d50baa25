"""`python -m tui` runs the same command line as `aws-mfa-tui`."""

from tui.cli import main

raise SystemExit(main())
