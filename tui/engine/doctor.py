"""`doctor`: plain findings about the setup, each with its fix.

What is read from the files (no AWS call): the files with their modes and owners, the
layout recognised per identity, which `mfa_serial` applies and where it came from, each
role's chain and its cap, the code source per profile, `max_mfa_age`. What is asked of AWS,
one identity at a time, each answer optional ("can't tell" when AWS won't say): the clock's
skew against the `Date` header of AWS's reply, the MFA devices, the key's age and last use,
and whether the identity's policies look like they require MFA (IAM
SimulatePrincipalPolicy). Never a secret: key ids are masked.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from tui.engine.errors import AwsMfaError, AwsUnavailableError
from tui.engine.named_tuple import TYPE_CHECKING, NamedTuple
from tui.engine.profiles.catalog import (
    CHAINED_ROLE_MAX_DURATION,
    IdentityProfile,
    ProfileCatalog,
    RoleProfile,
)
from tui.engine.secret import mask_key_id

if TYPE_CHECKING:
    from typing import Any

    from tui.engine.sessions.service import SessionService

#: Skew beyond this is a problem: AWS refuses signed requests 5 minutes off, and a code
#: typed from a phone is checked against AWS's clock, not this one.
SKEW_LIMIT = 60
#: An access key older than this should be rotated (AWS's own advice and Security Hub's).
KEY_AGE_LIMIT = 90
#: What the policy check simulates: typical calls an MFA policy guards.
SIMULATED_ACTIONS = ["iam:ListAccessKeys", "ec2:DescribeInstances", "s3:ListAllMyBuckets"]


class Verdict(StrEnum):
    OK = "ok"
    PROBLEM = "problem"
    UNKNOWN = "can't tell"


class Finding(NamedTuple):
    topic: str  # "files", "profile", "role", "aws", "agent"
    subject: str  # a file, profile or role name
    verdict: Verdict
    text: str
    fix: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"topic": self.topic, "subject": self.subject, "verdict": self.verdict.value,
                "text": self.text, "fix": self.fix}


def short_path(path: Path, home: str | None = None) -> str:
    home = home if home is not None else os.environ.get("HOME", "")
    text = str(path)
    return "~" + text[len(home):] if home and text.startswith(home.rstrip("/") + "/") else text


def file_findings(paths: Mapping[str, Path], owner_name: Callable[[int], str]
                  ) -> list[Finding]:
    """Each file: found or not, its mode and owner; a credentials file others may read is a
    problem (it holds keys)."""
    found = []
    for what, path in paths.items():
        shown = short_path(path)
        try:
            info = path.stat()
        except FileNotFoundError:
            verdict = Verdict.PROBLEM if what == "credentials" else Verdict.OK
            fix = ("add long-term keys with `aws configure --profile NAME`"
                   if what == "credentials" else None)
            found.append(Finding("files", what, verdict, f"{what}: {shown} not found", fix))
            continue
        except OSError as exc:
            found.append(Finding("files", what, Verdict.PROBLEM,
                                 f"{what}: {shown} can't be read ({exc.strerror})"))
            continue
        mode = stat.S_IMODE(info.st_mode)
        text = f"{what}: {shown}, mode {mode:04o}, owner {owner_name(info.st_uid)}"
        if what == "credentials" and mode & 0o077:
            found.append(Finding("files", what, Verdict.PROBLEM,
                                 f"{text}: other users may read your keys",
                                 f"chmod 600 {shown}"))
        elif info.st_uid != os.getuid():
            found.append(Finding("files", what, Verdict.PROBLEM, f"{text}: not yours",
                                 f"chown {owner_name(os.getuid())} {shown}"))
        else:
            found.append(Finding("files", what, Verdict.OK, text))
    return found


_LAYOUTS = {
    None: "aws-mfa-tui's",
    "aws-mfa": "aws-mfa's ([X-long-term] keys, [X] session)",
    "awsmfa": "awsmfa's ([identity] keys, [default] session)",
    "aws-iam-login": "aws-iam-login's ([X] keys, [X-sts] session)",
    "mfa-login": "the AWS CLI's `aws configure mfa-login` (expiry in a comment)",
}


def identity_findings(identity: IdentityProfile, environ: Mapping[str, str],
                      askpass: bool) -> list[Finding]:
    name = identity.name
    layout = _LAYOUTS.get(identity.session.layout, identity.session.layout or "")
    found = [Finding("profile", name, Verdict.OK if not identity.session.blocked
                     else Verdict.PROBLEM,
                     f"{name}: key {mask_key_id(identity.access_key_id)}, layout {layout}: "
                     f"session in [{identity.session_profile}]",
                     identity.session.blocked and "name another target in settings "
                     f"([profiles.{name}] target = ...)")]
    if identity.mfa_serial:
        found.append(Finding("profile", name, Verdict.OK,
                             f"{name}: MFA device {identity.mfa_serial} "
                             f"(from {identity.serial_source or 'settings'})"))
    else:
        found.append(Finding("profile", name, Verdict.OK,
                             f"{name}: no mfa_serial set: the device is found through IAM "
                             "at the first refresh and remembered",
                             f"or set it now: aws-mfa-tui init {name}"))
    found.append(Finding("profile", name, Verdict.OK,
                         f"{name}: codes from {code_source(identity, environ, askpass)}"))
    if identity.max_mfa_age:
        found.append(Finding("profile", name, Verdict.OK,
                             f"{name}: policies honour its MFA for {identity.max_mfa_age} s "
                             "(max_mfa_age): due when the MFA is older"))
        session = identity.session
        if session.present and session.expiration and session.times is None:
            found.append(Finding(
                "profile", name, Verdict.UNKNOWN,
                f"{name}: when [{session.name}]'s MFA was used isn't known (another program "
                "wrote it): only its expiry counts until it is renewed here",
                f"aws-mfa-tui refresh {name} --force"))
    return found


def code_source(identity: IdentityProfile, environ: Mapping[str, str], askpass: bool) -> str:
    """Where a refresh gets its code, in the order the command line tries them."""
    if environ.get("AWS_MFA_TOKEN_CODE"):
        return "$AWS_MFA_TOKEN_CODE"
    if identity.mfa_command:
        return f"mfa_command `{identity.mfa_command}`"
    return "a prompt on the terminal" + (", else askpass" if askpass else "")


def role_findings(role: RoleProfile, chain: list[str], identity: IdentityProfile | None
                  ) -> list[Finding]:
    links = " -> ".join(chain)
    if role.session.blocked or identity is None:
        return [Finding("role", role.name, Verdict.PROBLEM, role.session.blocked or links,
                        "fix the source_profile in ~/.aws/config (or [roles.X] in settings)")]
    asked = (f"asks for {role.duration} s" if role.duration
             else "asks for 1 hour (AWS's default)")
    if role.chained or role.source_profile == identity.session_profile:
        cap = f"assumed from a session: AWS caps it at {CHAINED_ROLE_MAX_DURATION} s"
    else:
        cap = (f"from [{identity.session_profile}] while valid (capped at "
               f"{CHAINED_ROLE_MAX_DURATION} s, no code), else from the keys with a code, "
               "up to the role's MaxSessionDuration")
    text = f"{role.name}: {links}; {cap}; {asked}"
    if role.mfa_serial:
        text += f"; MFA device {role.mfa_serial} (from config)"
    if role.max_mfa_age:
        text += f"; its MFA must be under {role.max_mfa_age} s old"
    return [Finding("role", role.name, Verdict.OK, text)]


def skew_finding(local: datetime, remote: datetime | None) -> Finding:
    if remote is None:
        return Finding("aws", "clock", Verdict.UNKNOWN, "clock: AWS's reply had no Date header")
    skew = (local - remote).total_seconds()
    if abs(skew) < 5:
        return Finding("aws", "clock", Verdict.OK, "clock: agrees with AWS (within 5 s)")
    side = "ahead of" if skew > 0 else "behind"
    text = f"clock: {abs(int(skew))} s {side} AWS"
    if abs(skew) <= SKEW_LIMIT:
        return Finding("aws", "clock", Verdict.OK, text)
    return Finding("aws", "clock", Verdict.PROBLEM,
                   f"{text} (AWS refuses requests 5 minutes off)",
                   "sync the clock: `timedatectl set-ntp true` (or your OS's time settings)")


def key_finding(name: str, key_id: str, created: datetime | None, last_used: datetime | None,
                service: str | None, now: datetime) -> Finding:
    key = mask_key_id(key_id)
    if created is None:
        return Finding("aws", name, Verdict.UNKNOWN, f"{name}: key {key}: IAM gave no age")
    age = (now - created).days
    used = (f"last used {_days_ago(now, last_used)}" + (f" ({service})" if service else "")
            ) if last_used else "never used"
    text = f"{name}: key {key} created {_days_ago(now, created)}, {used}"
    if age > KEY_AGE_LIMIT:
        return Finding("aws", name, Verdict.PROBLEM, f"{text} (over {KEY_AGE_LIMIT})",
                       f"aws-mfa-tui rotate {name}")
    return Finding("aws", name, Verdict.OK, text)


def _days_ago(now: datetime, then: datetime) -> str:
    if then.tzinfo is None:
        from datetime import UTC

        then = then.replace(tzinfo=UTC)
    days = max(0, (now - then).days)
    return "today" if days == 0 else "1 day ago" if days == 1 else f"{days} days ago"


def policy_finding(name: str, decisions: dict[str, tuple[str, str]]) -> Finding:
    """From SimulatePrincipalPolicy without and with MFA: do the policies require it?"""
    guarded = [a for a, (without, with_mfa) in decisions.items()
               if without != "allowed" and with_mfa == "allowed"]
    open_ = [a for a, (without, _) in decisions.items() if without == "allowed"]
    if guarded:
        return Finding("aws", name, Verdict.OK,
                       f"{name}: policies look like they require MFA ({', '.join(guarded)} "
                       "denied without it, allowed with it)")
    if open_:
        return Finding("aws", name, Verdict.OK,
                       f"{name}: policies don't require MFA for {', '.join(open_)}",
                       "`aws-mfa-tui policy` prints a starter policy that does")
    return Finding("aws", name, Verdict.UNKNOWN,
                   f"{name}: can't tell whether policies require MFA (the simulated calls "
                   "are denied with and without it)")


def agent_finding() -> Finding:
    """The agent's state (the open TUI or `watch` serving sessions), from its `hello`."""
    from tui.engine.agent.client import ask_agent, socket_path

    path = socket_path()
    if path is None:
        return Finding("agent", "agent", Verdict.OK,
                       "agent: not running (no private runtime folder for its socket)")
    shown = short_path(Path(path))
    try:
        reply = ask_agent({"op": "hello"}, wait=2.0, path=path)
    except AwsMfaError:
        reply = None
    if not reply or not reply.get("ok"):
        return Finding("agent", "agent", Verdict.OK,
                       "agent: not running (the TUI or `watch` is one); programs ask AWS "
                       "themselves")
    return Finding("agent", "agent", Verdict.OK,
                   f"agent: running, pid {reply.get('pid')}, at {shown}")


def summary(findings: list[Finding]) -> str:
    """One line: all is well, or how many problems and the first few."""
    problems = [f for f in findings if f.verdict is Verdict.PROBLEM]
    if not problems:
        return "all is well"
    first = "; ".join(f.text for f in problems[:2])
    more = f"; and {len(problems) - 2} more" if len(problems) > 2 else ""
    return f"{len(problems)} problem{'s' if len(problems) > 1 else ''}: {first}{more}"


def unavailable(error: AwsUnavailableError) -> Finding:
    return Finding("aws", "aws", Verdict.UNKNOWN, f"AWS: can't tell: {error}")


def examine(service: SessionService, names: list[str] | None = None,
            environ: Mapping[str, str] | None = None, ask_aws: bool = True
            ) -> list[Finding]:
    """Every finding, files first, then each identity (and its roles), AWS's answers, and
    the agent. `names`: only these identities or roles (and the files)."""
    from tui.engine.aws import calls as aws_calls
    from tui.engine.credentials_file.file_replace import user_name
    from tui.engine.errors import CredentialsFileError, UsageError
    from tui.engine.mfa.codes import find_askpass

    environ = os.environ if environ is None else environ
    paths = service.paths
    found = file_findings({"credentials": paths.credentials, "config": paths.config,
                           "settings": paths.settings}, user_name)
    try:
        catalog = service.catalog()
    except CredentialsFileError as exc:
        return [*found, Finding("files", "credentials", Verdict.PROBLEM, str(exc))]
    wanted = set(names or [])
    known = {i.name for i in catalog.identities} | {r.name for r in catalog.roles} | {
        r.name for r in catalog.broken}
    unknown = sorted(wanted - known)
    if unknown:
        raise UsageError(f"no such profile: {', '.join(unknown)} (not an identity or a role); "
                         "see aws-mfa-tui doctor --help")
    askpass = find_askpass() is not None
    clock_checked = False
    for identity in catalog.identities:
        roles = catalog.roles_of(identity.name)
        if wanted and identity.name not in wanted and not any(r.name in wanted for r in roles):
            continue
        found += identity_findings(identity, environ, askpass)
        for role in roles:
            if not wanted or role.name in wanted or identity.name in wanted:
                found += role_findings(role, _chain(catalog, role), identity)
        if not ask_aws:
            continue
        try:
            found += _ask_aws(service, identity, not clock_checked, aws_calls)
            clock_checked = True
        except AwsUnavailableError as exc:
            found.append(unavailable(exc))
            ask_aws = False
    for role in catalog.broken:
        if not wanted or role.name in wanted:
            found += role_findings(role, [role.name], None)
    if not catalog.identities:
        found.append(Finding("profile", "-", Verdict.PROBLEM,
                             "no identity profile with long-term keys",
                             "add one with `aws configure --profile NAME`"))
    found.append(agent_finding())
    return found


def _chain(catalog: ProfileCatalog, role: RoleProfile) -> list[str]:
    links = [role.name]
    parent = catalog.parent(role)
    while parent is not None:
        links.append(parent.name)
        role, parent = parent, catalog.parent(parent)
    links.append(role.source_profile)
    return links


def _ask_aws(service: SessionService, identity: IdentityProfile, check_clock: bool,
             aws_calls: Any) -> list[Finding]:
    """What AWS says about one identity; a refusal is "can't tell", an unreachable AWS
    raises (`AwsUnavailableError`) so the rest isn't tried."""
    from datetime import UTC

    name = identity.name
    found: list[Finding] = []
    keys = service.long_term_keys(identity)
    try:
        caller, server_time = aws_calls.caller_and_clock(keys, identity.region)
    except AwsUnavailableError:
        raise
    except AwsMfaError as exc:
        return [Finding("aws", name, Verdict.PROBLEM, f"{name}: {exc}")]
    if check_clock:
        found.append(skew_finding(datetime.now(UTC), server_time))
    if caller.is_root:
        return [*found, Finding("aws", name, Verdict.PROBLEM,
                                f"{name}: these are the account's root keys",
                                "use an IAM user's keys instead")]
    signer = service.signing_keys(name)
    user = caller.user_name
    try:
        devices = [d for d in aws_calls.list_mfa_devices(signer, user) if d.is_totp]
        if devices:
            found.append(Finding("aws", name, Verdict.OK,
                                 f"{name}: IAM lists MFA device "
                                 f"{', '.join(d.serial for d in devices)}"))
        else:
            found.append(Finding("aws", name, Verdict.PROBLEM,
                                 f"{name}: IAM user {user} has no MFA device STS can use",
                                 "assign a virtual or hardware TOTP device in the IAM console, "
                                 f"then `aws-mfa-tui init {name}`"))
    except AwsUnavailableError:
        raise
    except AwsMfaError as exc:
        found.append(Finding("aws", name, Verdict.UNKNOWN, f"{name}: MFA devices: {exc}"))
    now = datetime.now(UTC)
    try:
        for key in aws_calls.list_access_keys(signer, user):
            if key.access_key_id == identity.access_key_id:
                created = key.created
                if created is not None and created.tzinfo is None:
                    created = created.replace(tzinfo=UTC)
                found.append(key_finding(name, key.access_key_id, created, key.last_used,
                                         key.last_used_service, now))
    except AwsUnavailableError:
        raise
    except AwsMfaError as exc:
        found.append(Finding("aws", name, Verdict.UNKNOWN, f"{name}: key age: {exc}"))
    try:
        found.append(policy_finding(name, aws_calls.mfa_decisions(signer, caller.arn,
                                                                  SIMULATED_ACTIONS)))
    except AwsMfaError:  # denied, or an endpoint that doesn't simulate (a server error)
        found.append(Finding("aws", name, Verdict.UNKNOWN,
                             f"{name}: can't tell whether policies require MFA (IAM won't "
                             "simulate them for this key)"))
    return found
