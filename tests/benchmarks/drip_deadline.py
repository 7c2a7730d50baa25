"""Whole-process `refresh` against STS dripping 1 byte every 4 s, default 30 s deadline.

Run from the repository root: `.venv/bin/python tests/benchmarks/drip_deadline.py` (about 100 s).
"""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.getcwd())
from tests.support.hostile_sts import HostileSts, Reply, credentials_xml

server = HostileSts({"GetSessionToken": Reply(credentials_xml(), drip=4.0, drip_limit=40)}).start()
for run in range(3):
    d = tempfile.mkdtemp()
    cred = os.path.join(d, "credentials")
    open(cred, "w").write("[work]\naws_access_key_id = AKIAEXAMPLEEXAMPLE01\naws_secret_access_key = abcdefgh\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=d, AWS_SHARED_CREDENTIALS_FILE=cred, AWS_CONFIG_FILE=os.path.join(d, "config"),
               AWS_MFA_TUI_SETTINGS=os.path.join(d, "s.toml"), AWS_ENDPOINT_URL_STS=server.url,
               AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_DEFAULT_REGION="us-east-1")
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "tui", "refresh", "work", "--token-code", f"24681{run}",
                           "--serial-number", "arn:aws:iam::123456789012:mfa/alice"],
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    print(f"run {run}: {time.monotonic() - start:.1f} s exit {done.returncode} {done.stderr.strip()}", flush=True)
server.stop()
