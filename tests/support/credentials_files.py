"""Big, realistic credentials files and sessions for the benchmarks."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from tui.engine.credential_values import SessionCredentials
from tui.engine.secret import Secret

PROFILES = 2_000
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+"


def realistic_file(profiles: int = PROFILES, seed: int = 7) -> str:
    """Each profile: a comment, its header, 2-3 keys, a blank line."""
    rng = random.Random(seed)
    out = []
    for i in range(profiles):
        out.append(f"# {i:04d}: added by ops on 2026-{i % 12 + 1:02d}-{i % 28 + 1:02d}\n")
        out.append(f"[team-{i // 50:02d}-account-{i:04d}]\n")
        out.append(f"aws_access_key_id = AKIA{rng.getrandbits(64):016X}\n")
        out.append(f"aws_secret_access_key = {''.join(rng.choices(ALPHABET, k=40))}\n")
        if i % 3 == 0:
            out.append("region = eu-west-1\n")
        out.append("\n")
    return "".join(out)


def session(n: int) -> SessionCredentials:
    rng = random.Random(n)
    return SessionCredentials(
        access_key_id=f"ASIA{rng.getrandbits(64):016X}",
        secret_access_key=Secret("".join(rng.choices(ALPHABET, k=40))),
        session_token=Secret("".join(rng.choices(ALPHABET, k=700))),
        expiration=datetime(2026, 11, 22, 18, 0, tzinfo=UTC) + timedelta(seconds=n),
    )
