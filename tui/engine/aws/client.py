"""botocore clients for STS and IAM, made without botocore ever reading the shared files.

- One botocore session and client per call: safe from any worker thread.
- The standard AWS environment is honoured by botocore itself: AWS_ENDPOINT_URL and
  AWS_ENDPOINT_URL_STS/_IAM, AWS_REGION/AWS_DEFAULT_REGION, AWS_CA_BUNDLE, HTTPS_PROXY.
- Connect timeout 5 s, read timeout 10 s, standard retry mode. A call that carries an MFA
  code is never retried: a retry would send the same one-time code twice.
- botocore's debug logging stays off: it prints response bodies with secrets in them.

The shared files. Creating a client looks up region, endpoint_url, ca_bundle, retry mode,
data_path and more, and each lookup that reaches the files makes botocore parse both of
them whole with configparser (93 ms for a 2,000-profile credentials file) although the
client is given its keys. We always give keys and never a profile, so botocore reads only
the `default` profile (the config file's `[default]` or `[profile default]`, updated with
the credentials file's `[default]`) and the `[services X]` section it names. `OurSession`
hands botocore exactly those, read with our own parser, which parses the way configparser
does (`credentials_file.ini_document`); a caller that has just read the credentials file
passes its sections in (`SharedFiles`), so it is not read again.

Each of these reaches into botocore's internals, so each checks at its first use that what
it relies on is there (`patched_internals`): if not, it turns itself off with one log line,
and botocore does that part its own way (slower, never wrong):

- reading the shared files ourselves: `Session.full_config` (a property), and
  `configloader.build_profile_map`;
- AWS_PROFILE kept out of client creation: the config store's `set_config_provider`;
- the data loader without the service scan: `Loader.list_available_services`,
  `load_data_with_path`, `search_paths`, `file_loader`;
- the trimmed endpoints cache: `loaders._JSON_OPEN_METHODS`;
- STS timestamps handed over as text: the parser factory's `set_parser_defaults`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from tui.engine.patched_internals import missing, turn_off

if TYPE_CHECKING:
    from tui.engine.credential_values import AwsKeys
    from tui.engine.credentials_file.ini_document import IniDocument

DEFAULT_REGION = "us-east-1"
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 10

#: The only services we create clients for.
_SERVICES = ("sts", "iam")
_LOADER_CLASS: Any = None
_SESSION_CLASS: Any = None
_DEFAULT = "default"


class SharedFiles(NamedTuple):
    """The credentials file as the caller has just read it, so clients don't read it again.

    Used only when `credentials` is the file botocore would read (AWS_SHARED_CREDENTIALS_FILE
    or ~/.aws/credentials); for any other file, botocore's own is read as before."""

    credentials: str | os.PathLike[str]
    #: Its sections as botocore sees them (DEFAULT keys included), e.g. a catalog's.
    sections: Mapping[str, Mapping[str, str]]


def make_client(service: str, keys: AwsKeys, region: str | None, retries: bool = True,
                shared: SharedFiles | None = None) -> Any:
    import botocore.config
    import botocore.configprovider

    from tui.engine.aws.call_guard import deadline_seconds, guard_client
    from tui.engine.aws.errors import translate_error

    _quiet_botocore()
    deadline = deadline_seconds()
    session = new_session(shared)
    # We always pass credentials explicitly. AWS_PROFILE may name the very session profile
    # we're about to create; it must not make client creation fail with ProfileNotFound.
    config_store = session.get_component("config_store")
    gone = missing(config_store, "set_config_provider") or missing(
        botocore.configprovider, "ConstantProvider")
    if gone:
        turn_off("keeping AWS_PROFILE out of client creation", gone, "botocore")
    else:
        config_store.set_config_provider(
            "profile", botocore.configprovider.ConstantProvider(None))
    config = botocore.config.Config(
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=READ_TIMEOUT,
        # total_max_attempts counts the first try; max_attempts would count retries only.
        retries={"mode": "standard", "total_max_attempts": 3 if retries else 1},
        user_agent_extra="aws-mfa-tui",
    )
    try:
        loader = _data_loader(session)
        if loader is not None:
            session.register_component("data_loader", loader)
        if service == "sts":
            # Expiration arrives as text, checked by `sts_reply`: botocore's own parser
            # would raise a bare ValueError on a hostile date (which `call_guard` turns
            # into an unusable reply, should this be off).
            factory = session.get_component("response_parser_factory")
            if missing(factory, "set_parser_defaults"):
                turn_off("STS timestamps as text", "ResponseParserFactory."
                         "set_parser_defaults", "botocore")
            else:
                factory.set_parser_defaults(timestamp_parser=str)
        region = region or session.get_config_variable("region") or DEFAULT_REGION
        client = session.create_client(
            service,
            region_name=region,
            aws_access_key_id=keys.access_key_id,
            aws_secret_access_key=keys.secret_access_key.reveal(),
            aws_session_token=keys.session_token.reveal() if keys.session_token else None,
            config=config,
        )
    except Exception as exc:  # botocore raises many types here; all become one line
        raise translate_error(exc, f"{service} client", keys) from None
    return guard_client(client, service, deadline)


def _quiet_botocore() -> None:
    import logging

    for name in ("botocore", "boto3", "urllib3"):
        logger = logging.getLogger(name)
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)


def new_session(shared: SharedFiles | None = None) -> Any:
    """A botocore session whose shared files are read by us (`shared_config`)."""
    return _session_class()(shared)


def _session_class() -> Any:
    global _SESSION_CLASS
    if _SESSION_CLASS is None:
        import inspect

        import botocore.configloader
        import botocore.session

        full_config = inspect.getattr_static(botocore.session.Session, "full_config", None)
        gone = ("botocore.session.Session.full_config (a property)"
                if not isinstance(full_config, property) else
                missing(botocore.configloader, "build_profile_map"))
        if gone:
            turn_off("reading the shared files ourselves", gone, "botocore")

            class PlainSession(botocore.session.Session):
                def __init__(self, shared: SharedFiles | None) -> None:
                    super().__init__()

            _SESSION_CLASS = PlainSession
            return _SESSION_CLASS

        class OurSession(botocore.session.Session):
            """botocore's session, with `full_config` read by us instead of configparser."""

            def __init__(self, shared: SharedFiles | None) -> None:
                super().__init__()
                self._shared = shared

            @property
            def full_config(self) -> dict[str, Any]:
                config: dict[str, Any] | None = getattr(self, "_config", None)
                if config is None:
                    config = self._config = shared_config(self, self._shared)
                return config

        _SESSION_CLASS = OurSession
    return _SESSION_CLASS


def shared_config(session: Any, shared: SharedFiles | None = None) -> dict[str, Any]:
    """What `botocore.session.Session.full_config` holds, for a session with no profile:
    the `default` profile and the services section it names (see the module's docstring).

    The files are the ones botocore would read (its `config_file` and `credentials_file`
    variables). A missing or unreadable file counts as empty, as in botocore; one that
    isn't valid INI is refused with its line, as everywhere else in aws-mfa-tui."""
    import botocore.configloader

    config_path = _expanded(session.get_config_variable("config_file"))
    credentials_path = _expanded(session.get_config_variable("credentials_file"))
    config = _read(config_path) if config_path else None
    # The section names alone decide which sections botocore keeps, and under what name
    # (`[profile "default"]` is the default profile; later sections win): let botocore's
    # own mapping decide, with each section's name standing in for its values.
    names = botocore.configloader.build_profile_map(
        {name: name for name in config.sections()} if config else {})
    full: dict[str, Any] = {"profiles": {}, "sso_sessions": {}, "services": {}}
    if config is not None and _DEFAULT in names["profiles"]:
        full["profiles"][_DEFAULT] = _values(
            config.get_section(names["profiles"][_DEFAULT]), config_path)
    credentials = _credentials_default(credentials_path, shared)
    if credentials is not None:
        values = _values(credentials, credentials_path)
        full["profiles"].setdefault(_DEFAULT, {}).update(values)
    wanted = full["profiles"].get(_DEFAULT, {}).get("services")
    if config is not None and isinstance(wanted, str) and wanted in names["services"]:
        full["services"][wanted] = _values(
            config.get_section(names["services"][wanted]), config_path)
    return full


def _expanded(path: str | None) -> str | None:
    return os.path.expanduser(os.path.expandvars(path)) if path else None


def _read(path: str) -> IniDocument | None:
    """The file parsed, or None when it is missing or can't be read (botocore skips it)."""
    from tui.engine.credentials_file.ini_document import IniDocument

    if not os.path.isfile(path):
        return None
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError:
        return None
    return IniDocument.parse_bytes(data, path)


def _credentials_default(path: str | None, shared: SharedFiles | None
                         ) -> Mapping[str, str] | None:
    """The credentials file's `[default]` section, or None when it has none."""
    if not path:
        return None
    if shared is not None and _same_file(shared.credentials, path):
        return shared.sections.get(_DEFAULT)
    document = _read(path)
    if document is None or not document.has_section(_DEFAULT):
        return None
    return document.get_section(_DEFAULT)


def _same_file(ours: str | os.PathLike[str], theirs: str) -> bool:
    return os.path.realpath(os.path.expanduser(ours)) == os.path.realpath(theirs)


def _values(section: Mapping[str, str], path: str | None) -> dict[str, Any]:
    """A section as `botocore.configloader.raw_config_parse` gives it: a value that starts
    on the next line (`s3 =` then indented `key = value` lines) becomes a dict."""
    values: dict[str, Any] = {}
    for key, value in section.items():
        values[key] = _nested(value, path) if value.startswith("\n") else value
    return values


def _nested(value: str, path: str | None) -> dict[str, str]:
    import botocore.exceptions

    parsed = {}
    for line in value.splitlines():
        line = line.strip()
        if not line:
            continue
        key, sep, rest = line.partition("=")
        if not sep:
            raise botocore.exceptions.ConfigParseError(
                path=path, error=ValueError("not enough values to unpack (expected 2, got 1)"))
        parsed[key.strip()] = rest.strip()
    return parsed


def _data_loader(session: Any) -> Any | None:
    """botocore's data loader, minus its scan of every service folder.

    Before loading a model, botocore lists all ~400 services (thousands of stat calls, about
    a third of client creation here) only to check that the one asked for exists. This
    loader answers that check for STS and IAM by looking in their own folders, honouring
    AWS_DATA_PATH and ~/.aws/models like botocore's own loader. None (botocore's own) when
    botocore's loader is not of the shape it extends.
    """
    import botocore.loaders

    global _LOADER_CLASS
    if _LOADER_CLASS is False:
        return None
    if _LOADER_CLASS is None:
        gone = missing(botocore.loaders, "Loader.list_available_services",
                       "Loader.load_data_with_path", "Loader.search_paths")
        if gone:
            turn_off("the data loader without the service scan", gone, "botocore")
            _LOADER_CLASS = False
            return None

        class OurServicesLoader(botocore.loaders.Loader):
            def list_available_services(self, type_name: str) -> list[str]:
                found = []
                for service in _SERVICES:
                    for location in self.search_paths:
                        folder = os.path.join(location, service)
                        if os.path.isdir(folder) and any(
                            self.file_loader.exists(os.path.join(folder, version, type_name))
                            for version in os.listdir(folder)
                        ):
                            found.append(service)
                            break
                return found

            def load_data_with_path(self, name: str) -> Any:
                if name == "endpoints":
                    found = trimmed_endpoints_with_path(self)
                    if found is not None:
                        return found
                return super().load_data_with_path(name)

        _LOADER_CLASS = OurServicesLoader
    data_path = session.get_config_variable("data_path")
    extra = [os.path.expanduser(os.path.expandvars(p))
             for p in data_path.split(os.pathsep)] if data_path else []
    return _LOADER_CLASS(extra_search_paths=extra)


def trimmed_endpoints(loader: Any) -> dict[str, Any] | None:
    found = trimmed_endpoints_with_path(loader)
    return found[0] if found else None


def trimmed_endpoints_with_path(loader: Any) -> tuple[dict[str, Any], str] | None:
    """botocore's endpoints data with only STS and IAM in each partition, from a cache.

    botocore loads its whole endpoints file (about 730 KB of JSON, some 24 ms of CPU) for
    every client (`Session.create_default_resolver`), though these clients resolve only
    STS and IAM. The first client trims it to every partition's metadata and regions plus
    those two services, and keeps that in ~/.cache/aws-mfa-tui (0600, in 0700 folders)
    under a name made from the source file's path, size and mtime and botocore's version,
    so an upgrade or an AWS_DATA_PATH file is picked up at once. Returns the data and the
    source's path without its extension, as botocore's `load_data_with_path` does; None
    (botocore's own load) when the source can't be found or isn't of the known shape.
    """
    import hashlib
    import json

    import botocore
    import botocore.loaders

    found = _endpoints_source(loader)
    if found is None:
        return None
    source, base = found
    try:
        info = os.stat(source)
    except OSError:
        return None
    key = f"{os.path.realpath(source)}|{info.st_size}|{info.st_mtime_ns}|" \
          f"{botocore.__version__}|{','.join(_SERVICES)}"
    folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "aws-mfa-tui"
    cached = folder / f"endpoints-{hashlib.sha256(key.encode()).hexdigest()[:20]}.json"
    try:
        with open(cached, "rb") as handle:
            data = json.loads(handle.read())
        if isinstance(data, dict) and data.get("_source") == key:
            data.pop("_source")
            return data, base
    except (OSError, ValueError):
        pass
    try:
        full, _ = botocore.loaders.Loader.load_data_with_path(loader, "endpoints")
        data = _trim_endpoints(full)
    except (KeyError, TypeError, AttributeError):  # not the shape we know: botocore's own
        return None
    with contextlib.suppress(OSError):  # no cache this time: the next client trims again
        _write_private(folder, cached, json.dumps({**data, "_source": key}).encode())
    return data, base


def _endpoints_source(loader: Any) -> tuple[str, str] | None:
    """The endpoints file botocore's loader would read (the first search path holding one),
    and the path without its extension, as `load_data_with_path` names it."""
    import botocore.loaders

    extensions = getattr(botocore.loaders, "_JSON_OPEN_METHODS", None)
    if not isinstance(extensions, dict) or missing(loader, "file_loader"):
        turn_off("the trimmed endpoints cache", "botocore.loaders._JSON_OPEN_METHODS",
                 "botocore")
        return None
    for folder in loader.search_paths:
        base = os.path.join(folder, "endpoints")
        for extension in extensions:
            if os.path.isfile(base + extension):
                return base + extension, base
    return None


def _trim_endpoints(full: dict[str, Any]) -> dict[str, Any]:
    partitions = []
    for partition in full["partitions"]:
        services = {name: value for name, value in partition.get("services", {}).items()
                    if name in _SERVICES}
        partitions.append({**partition, "services": services})
    return {**full, "partitions": partitions}


def _write_private(folder: Path, target: Path, data: bytes) -> None:
    import tempfile

    from tui.engine.private_folders import make_private_folders

    make_private_folders(folder)
    fd, temp = tempfile.mkstemp(prefix=".endpoints.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
