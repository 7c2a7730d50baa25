"""Write screenshots/rotation.svg: the rotation screen after a real rotation.

Everything runs against a local moto server in this process with throwaway files in a temp
folder (never ~/.aws, never real AWS): an IAM user `alice` with a virtual MFA device, an
identity profile `work` and a second profile `work-ci` that shares its key, and an MFA
session `work-mfa`. The screen gets a code, shows the keys and the plan, rotates, and the
finished state is saved. The clock is fixed at 97 days after the key was created, so the
old key shows the over-90-days flag and the picture doesn't depend on when it's made.

    .venv/bin/python scripts/make_rotation_screenshot.py [OUTPUT.svg]
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SIZE = (100, 30)
CODE = "123456"


def _sandbox_environment(home: Path, url: str) -> None:
    for name in list(os.environ):
        if name.startswith("AWS_"):
            del os.environ[name]
    os.environ.update({
        "HOME": str(home),
        "AWS_ENDPOINT_URL": url,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "TEXTUAL_ANIMATIONS": "none",
    })


def _seed(home: Path, url: str):
    import boto3

    iam = boto3.client("iam", endpoint_url=url, region_name="us-east-1",
                       aws_access_key_id="AKIAADMINEXAMPLE0000", aws_secret_access_key="x")
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")
    serial = device["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(UserName="alice", SerialNumber=serial,
                          AuthenticationCode1="123456", AuthenticationCode2="654321")
    aws = home / ".aws"
    aws.mkdir(mode=0o700, parents=True)
    credentials = aws / "credentials"
    lines = (f"aws_access_key_id = {key['AccessKeyId']}\n"
             f"aws_secret_access_key = {key['SecretAccessKey']}\n")
    credentials.write_text(f"[work]\n{lines}\n# the CI runner's copy of the same key\n"
                           f"[work-ci]\n{lines}")
    credentials.chmod(0o600)
    (aws / "config").write_text(f"[profile work]\nmfa_serial = {serial}\nregion = us-east-1\n")
    return key["CreateDate"]


async def _capture(output: Path, home: Path, created) -> None:
    from textual.app import App

    from tui.app.screens.rotation import RotationScreen
    from tui.engine.mfa.codes import FixedCode, UsedCodes
    from tui.engine.rotation.key_rotation import KeyRotation
    from tui.engine.secret import Secret
    from tui.engine.sessions.service import Paths, SessionService

    now = created + timedelta(days=97)
    service = SessionService(
        Paths(home / ".aws" / "credentials", home / ".aws" / "config",
              home / ".config" / "aws-mfa-tui" / "settings.toml"),
        clock=lambda: now, used_codes=UsedCodes(),
    )
    service.refresh("work", FixedCode(Secret("654321")))  # the MFA session made earlier

    class Host(App[None]):
        TITLE = "aws-mfa-tui"

        def on_mount(self) -> None:
            self.push_screen(RotationScreen(
                service, "work",
                rotation_factory=lambda svc, name: KeyRotation(svc, name, sleep=lambda s: None),
            ))

    app = Host()
    async with app.run_test(size=SIZE) as pilot:

        async def settle() -> None:
            for _ in range(3):
                await app.workers.wait_for_complete()
                await pilot.pause()

        await settle()
        await pilot.press(*CODE)
        await settle()
        await pilot.press("r")
        await settle()
        screen = app.screen
        if getattr(screen, "stage", None) != "done":
            raise SystemExit(f"the rotation did not finish (stage {screen.stage!r})")
        output.parent.mkdir(parents=True, exist_ok=True)
        app.save_screenshot(filename=output.name, path=str(output.parent))


def main() -> int:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    output = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "screenshots" / "rotation.svg"
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        with tempfile.TemporaryDirectory(prefix="aws-mfa-tui-shot-") as temp:
            home = Path(temp)
            _sandbox_environment(home, url)
            created = _seed(home, url)
            asyncio.run(_capture(output.resolve(), home, created))
    finally:
        server.stop()
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
