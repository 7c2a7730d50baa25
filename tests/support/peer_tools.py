"""The peers' real programs from PyPI, for round trips: aws-mfa, awsmfa and aws-iam-login.

aws-mfa and awsmfa both install a Python package named `awsmfa`, so they can't share one
environment (nor our test extra). Each is installed once, with `pip install --target`, into
a folder of its own under pytest's cache, without its dependencies: boto3, botocore, click
and six come from our own test environment (awsmfa's pytz is installed beside it). A peer
runs as `python <its script>` with its folder first on PYTHONPATH.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

#: Each peer: the pinned requirement(s) to install, and the script it installs.
PEERS = {
    "aws-mfa": (("aws-mfa==0.0.12",), "aws-mfa"),
    "awsmfa": (("awsmfa==0.2.9", "pytz"), "awsmfa"),
    "aws-iam-login": (("aws-iam-login==0.3.6",), "aws-iam-login"),
}


@dataclass(frozen=True)
class PeerTool:
    name: str
    folder: Path
    script: Path

    def run(self, *argv: str, code: str | None = None, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """Run the peer with `code` on its stdin (how aws-mfa and aws-iam-login take it)."""
        environment = dict(env or os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            [str(self.folder), environment.get("PYTHONPATH", "")]).rstrip(os.pathsep)
        return subprocess.run(
            [sys.executable, str(self.script), *argv], input=(code or "") + "\n",
            capture_output=True, text=True, env=environment, timeout=timeout,
            start_new_session=True,
        )


def install_peers(cache: Path) -> dict[str, PeerTool]:
    """Install each peer into `cache/<name>` unless the same pins are already there."""
    tools = {}
    for name, (requirements, script) in PEERS.items():
        folder = cache / name
        stamp = folder / ".installed"
        wanted = " ".join(requirements)
        if not (stamp.exists() and stamp.read_text() == wanted):
            done = subprocess.run(
                [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                 "--no-deps", "--upgrade", "--target", str(folder), *requirements],
                capture_output=True, text=True, timeout=300,
            )
            if done.returncode != 0:
                raise RuntimeError(f"installing {wanted} failed:\n{done.stderr[-2000:]}")
            stamp.write_text(wanted)
        tools[name] = PeerTool(name, folder, folder / "bin" / script)
    return tools
