"""`--demo`: a throwaway AWS and a throwaway home, so the TUI can be tried without an account.

Two steps, so the TUI paints before the emulator's slow import:

- `prepare_demo()` (fast, no moto, no boto3) makes the temp folder, binds a listening
  socket on 127.0.0.1 for the emulator, points the AWS environment at it, removes any AWS
  credentials from the environment and writes a credentials file, a config file and a
  settings file. The identities' access keys there are placeholders.
- `Demo.start_emulator()` (the TUI runs it in a worker after its first paint) imports
  moto, seeds IAM users with keys and virtual MFA devices plus the roles through a private
  server of its own, puts the users' real keys into the credentials file in place of the
  placeholders (one locked, atomic edit), and only then serves the bound socket. A call
  made before that waits in the socket's queue, so nothing ever reaches a real endpoint
  and nothing is answered before the emulator is seeded. Any 6-digit MFA code works there.

`start_demo()` does both at once (the CLI commands under `--demo` use it). The profiles:

- `work`      a fresh MFA session, and the role `prod-admin` chained from it
- `staging`   a session inside the lead time (expiring), and the role `staging-readonly`
- `personal`  an expired session
- `sandbox`   no session yet

The console (`o`, `console`) signs in at a local stand-in for the federation endpoint
(`demo_federation`), which shows a page in place of the AWS console.

It never reads or writes the real ~/.aws. `Demo.stop()` stops the server, deletes the
folder and puts the environment back as it was. SIGHUP (the terminal closed) and SIGTERM
delete the folder too before the process ends. The folder's name carries the pid
(`aws-mfa-tui-demo-<pid>-...`), so a demo that starts removes the folders of demos whose
process is gone (killed with SIGKILL, say); folders of live demos and of other users stay.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
import shutil
import signal
import socket
import string
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tui.engine.credential_values import format_expiration
from tui.engine.credentials_file.store import CredentialsStore
from tui.engine.errors import UsageError
from tui.engine.profiles.catalog import Paths
from tui.engine.secret import Secret

REGION = "us-east-1"
ACCOUNT = "123456789012"
DEMO_LEAD_TIME = 300
FOLDER_PREFIX = "aws-mfa-tui-demo-"
#: Signals after which the demo's folder is deleted (SIGHUP: the terminal was closed).
HANDLED_SIGNALS = (signal.SIGHUP, signal.SIGTERM)

#: Variables that could point botocore at real credentials or a real endpoint.
#: What the demo's rows and title say while the emulator starts.
STARTING_WORDS = "starting the local AWS emulator…"
MISSING_MOTO = "--demo needs the demo extra: pip install 'aws-mfa-tui[demo]'"

REMOVED_VARIABLES = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_CREDENTIAL_EXPIRATION",
    "AWS_MFA_TOKEN_CODE", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM", "AWS_REGION",
    "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CA_BUNDLE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
)


@dataclass(frozen=True)
class DemoUser:
    profile: str
    user: str
    #: Session left relative to now (None: no session). Negative: expired that long ago.
    session_left: timedelta | None
    serial_in_config: bool = True


DEMO_USERS = (
    DemoUser("work", "alice", timedelta(hours=8, minutes=12, seconds=5)),
    DemoUser("staging", "bob", timedelta(minutes=3, seconds=20)),
    DemoUser("personal", "carol", timedelta(minutes=-25)),
    DemoUser("sandbox", "dave", None, serial_in_config=False),
)
DEMO_ROLES = (
    # (role profile, source identity, role name, session left)
    ("prod-admin", "work", "Admin", timedelta(minutes=42, seconds=30)),
    ("staging-readonly", "staging", "ReadOnly", None),
)


@dataclass
class Demo:
    paths: Paths
    endpoint_url: str
    folder: Path
    #: The listening socket the emulator will serve (bound before it exists).
    _socket: socket.socket | None = None
    #: The placeholder keys written by `prepare_demo`, per profile.
    _placeholders: dict[str, dict[str, str]] = field(default_factory=dict)
    _server: Any = None
    _saved_environ: dict[str, str | None] = field(default_factory=dict)
    _saved_handlers: dict[int, Any] = field(default_factory=dict)
    _stopped: bool = False
    #: Set once the emulator answers (and the real keys are in the credentials file).
    ready: threading.Event = field(default_factory=threading.Event)
    #: Held by `stop` and by the emulator's last steps (files, socket), so each sees the
    #: other's work whole.
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def start_emulator(self) -> None:
        """Import moto, seed it, write the users' real keys, then serve the socket.
        Blocking (seconds on a busy machine): the TUI calls it from a thread worker.
        Raises UsageError without moto; the socket is closed on failure, so calls
        waiting for it fail at once instead of timing out."""
        if self.ready.is_set():
            return
        try:
            try:
                from moto.moto_server.threaded_moto_server import MotoRequestHandler
                from moto.server import DomainDispatcherApplication, create_backend_app
                from werkzeug.serving import make_server
            except ImportError:
                raise UsageError(MISSING_MOTO) from None
            import logging

            # werkzeug logs each request (and moto's unimplemented calls, which `doctor`
            # makes) to stderr, which would scribble over the TUI.
            logging.getLogger("werkzeug").setLevel(logging.CRITICAL)
            from tui.demo_federation import with_federation_stand_in

            app = with_federation_stand_in(DomainDispatcherApplication(create_backend_app))
            made = _seed_through_private_server(app, make_server, MotoRequestHandler)
            with self._guard:  # stop() (the app quit meanwhile) can't cut in from here
                if self._stopped:
                    return  # never write into (and so re-create) a removed folder
                _put_real_keys(self.paths, self._placeholders, made)
                assert self._socket is not None
                server = make_server("127.0.0.1", 0, app, threaded=True,
                                     request_handler=MotoRequestHandler,
                                     fd=self._socket.fileno())
                self._server = server
                threading.Thread(target=server.serve_forever, name="demo-emulator",
                                 daemon=True).start()
                self.ready.set()
        except BaseException:
            self._close_socket()
            raise

    def _close_socket(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.close()

    def remove_folder_on_signals(self) -> None:
        """On SIGHUP or SIGTERM: delete the folder, then end as the signal would."""
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread

        def on_signal(signum: int, _frame: object) -> None:
            shutil.rmtree(self.folder, ignore_errors=True)
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)

        for signum in HANDLED_SIGNALS:
            self._saved_handlers[signum] = signal.signal(signum, on_signal)

    def stop(self) -> None:
        with self._guard:
            self._stop()

    def _stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for signum, handler in self._saved_handlers.items():
            with contextlib.suppress(ValueError, TypeError):
                signal.signal(signum, handler)
        if self._server is not None:
            with contextlib.suppress(Exception):
                self._server.shutdown()
                self._server.server_close()
        self._close_socket()
        for name, value in self._saved_environ.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(self.folder, ignore_errors=True)


def start_demo(now: datetime | None = None) -> Demo:
    """Prepare the demo and start its emulator, waiting for it (see `prepare_demo`)."""
    demo = prepare_demo(now)
    try:
        demo.start_emulator()
    except BaseException:
        demo.stop()
        raise
    return demo


def prepare_demo(now: datetime | None = None) -> Demo:
    """The folder, the files (placeholder keys), the environment and a bound socket for
    the emulator, with no moto import: fast, so the TUI's first paint doesn't wait.
    Sessions are placed relative to `now` (default: the current time)."""
    if importlib.util.find_spec("moto") is None:
        raise UsageError(MISSING_MOTO)
    now = now or datetime.now(UTC)
    remove_dead_demo_folders()
    folder = Path(tempfile.mkdtemp(prefix=f"{FOLDER_PREFIX}{os.getpid()}-"))
    paths = Paths(
        credentials=folder / ".aws" / "credentials",
        config=folder / ".aws" / "config",
        settings=folder / "settings.toml",
    )
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    demo = Demo(paths=paths, endpoint_url="", folder=folder, _socket=listener)
    try:
        listener.bind(("127.0.0.1", 0))
        listener.listen(128)
        host, port = listener.getsockname()[:2]
        demo.endpoint_url = f"http://{host}:{port}"
        demo.remove_folder_on_signals()
        _point_environment_at(demo)
        demo._placeholders = _placeholder_keys()
        _write_files(paths, demo._placeholders, now)
    except BaseException:
        demo.stop()
        raise
    return demo


def _placeholder_keys() -> dict[str, dict[str, str]]:
    """Made-up keys for the first paint; the emulator's own replace them once it is up.
    The serial is the one moto gives a virtual device named after the user."""
    upper = string.ascii_uppercase + string.digits
    return {
        user.profile: {
            "aws_access_key_id": "AKIA" + "".join(secrets.choice(upper) for _ in range(16)),
            "aws_secret_access_key": secrets.token_urlsafe(30),
            "serial": f"arn:aws:iam::{ACCOUNT}:mfa/{user.user}",
        }
        for user in DEMO_USERS
    }


def _seed_through_private_server(app: Any, make_server: Any,
                                 handler: Any) -> dict[str, dict[str, str]]:
    """Seed moto's (process-wide) backends through a short-lived server on its own port,
    so the demo's socket answers nothing before the users and roles exist."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=handler)
    thread = threading.Thread(target=server.serve_forever, name="demo-seed", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        url = f"http://{host}:{port}"
        _reset_emulator(url)
        return _seed_iam(url)
    finally:
        server.shutdown()
        server.server_close()


def _put_real_keys(paths: Paths, placeholders: dict[str, dict[str, str]],
                   made: dict[str, dict[str, str]]) -> None:
    """The emulator's keys in place of the placeholders: one locked, atomic edit each,
    touching only those two lines (the app may be reading the file meanwhile)."""
    store = CredentialsStore(paths.credentials)
    for profile, keys in made.items():
        store.replace_key(placeholders[profile]["aws_access_key_id"], keys["aws_access_key_id"],
                          Secret(keys["aws_secret_access_key"]), required=profile)


def remove_dead_demo_folders(directory: Path | None = None) -> list[Path]:
    """Delete `aws-mfa-tui-demo-<pid>-*` folders of ours whose process is gone."""
    directory = Path(directory or tempfile.gettempdir())
    removed: list[Path] = []
    try:
        candidates = list(directory.glob(f"{FOLDER_PREFIX}*-*"))
    except OSError:
        return removed
    for path in candidates:
        pid_text = path.name[len(FOLDER_PREFIX):].split("-", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid():
            continue
        try:
            if not path.is_dir() or path.is_symlink() or path.lstat().st_uid != os.getuid():
                continue
        except OSError:
            continue
        if _process_alive(int(pid_text)):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # someone else's process (or a number we can't ask about): keep it
    return True


def _point_environment_at(demo: Demo) -> None:
    changes: dict[str, str | None] = {name: None for name in REMOVED_VARIABLES}
    changes.update({
        "AWS_ENDPOINT_URL": demo.endpoint_url,
        # The console's sign-in goes to the emulator's stand-in (`demo_federation`), never
        # to the real signin.aws.amazon.com with the demo's made-up sessions.
        "AWS_ENDPOINT_URL_SIGNIN": demo.endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_SHARED_CREDENTIALS_FILE": str(demo.paths.credentials),
        "AWS_CONFIG_FILE": str(demo.paths.config),
        "AWS_MFA_TUI_SETTINGS": str(demo.paths.settings),
    })
    for name, value in changes.items():
        demo._saved_environ[name] = os.environ.get(name)
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def _reset_emulator(url: str) -> None:
    import urllib.request

    # Our own loopback emulator's URL, never a user-given one.
    request = urllib.request.Request(f"{url}/moto-api/reset", data=b"", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        response.read()


def _seed_iam(url: str) -> dict[str, dict[str, str]]:
    """Users with keys and enabled virtual MFA devices, and the demo roles."""
    import json

    import boto3

    iam = boto3.client(
        "iam", endpoint_url=url, region_name=REGION,
        aws_access_key_id="AKIADEMOADMIN0000000", aws_secret_access_key="demo",
    )
    made: dict[str, dict[str, str]] = {}
    for user in DEMO_USERS:
        iam.create_user(UserName=user.user)
        key = iam.create_access_key(UserName=user.user)["AccessKey"]
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=user.user)
        serial = device["VirtualMFADevice"]["SerialNumber"]
        iam.enable_mfa_device(UserName=user.user, SerialNumber=serial,
                              AuthenticationCode1="123456", AuthenticationCode2="654321")
        made[user.profile] = {
            "aws_access_key_id": key["AccessKeyId"],
            "aws_secret_access_key": key["SecretAccessKey"],
            "serial": serial,
        }
    trust = json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                       "Action": "sts:AssumeRole"}],
    })
    for _profile, _source, role_name, _left in DEMO_ROLES:
        iam.create_role(RoleName=role_name, AssumeRolePolicyDocument=trust,
                        MaxSessionDuration=43200)
    return made


def _fake_session(now: datetime, left: timedelta) -> list[str]:
    """A made-up session: the emulator doesn't check signatures, so it works for chaining."""
    upper = string.ascii_uppercase + string.digits
    key_id = "ASIA" + "".join(secrets.choice(upper) for _ in range(16))
    secret = secrets.token_urlsafe(30)
    token = secrets.token_urlsafe(120)
    return [
        f"aws_access_key_id = {key_id}",
        f"aws_secret_access_key = {secret}",
        f"aws_session_token = {token}",
        f"aws_security_token = {token}",
        f"expiration = {format_expiration(now + left)}",
    ]


def _write_files(paths: Paths, made: dict[str, dict[str, str]], now: datetime) -> None:
    credentials = ["# aws-mfa-tui demo: throwaway profiles for a local AWS emulator", ""]
    config = ["# aws-mfa-tui demo", ""]
    for user in DEMO_USERS:
        keys = made[user.profile]
        credentials += [
            f"[{user.profile}]",
            f"aws_access_key_id = {keys['aws_access_key_id']}",
            f"aws_secret_access_key = {keys['aws_secret_access_key']}",
            "",
        ]
        if user.session_left is not None:
            credentials += [f"[{user.profile}-mfa]", *_fake_session(now, user.session_left), ""]
        config += [f"[profile {user.profile}]", f"region = {REGION}"]
        if user.serial_in_config:
            config.append(f"mfa_serial = {keys['serial']}")
        config.append("")
    for profile, source, role_name, left in DEMO_ROLES:
        config += [
            f"[profile {profile}]",
            f"role_arn = arn:aws:iam::{ACCOUNT}:role/{role_name}",
            f"source_profile = {source}-mfa",
            "duration_seconds = 3600",
            "",
        ]
        if left is not None:
            credentials += [f"[{profile}-session]", *_fake_session(now, left), ""]
    paths.credentials.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _write_private(paths.credentials, "\n".join(credentials))
    _write_private(paths.config, "\n".join(config))
    _write_private(paths.settings, f"lead_time = {DEMO_LEAD_TIME}\n")


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
