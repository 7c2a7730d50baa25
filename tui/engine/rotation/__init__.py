"""Access key rotation: its plan, steps, journal, recovery and words."""
