"""`rotate PROFILE`: replace a profile's access key without ever losing a working one.

Shows the user's keys and the plan, asks (on a terminal; `--yes` skips the question, and
without a terminal `--yes` is required), then runs the steps and reports each on stderr.
The last line, on stdout, names the new key. Failures exit 7 with one line that names any
key needing attention.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
from collections.abc import Iterator
from datetime import datetime

from tui.commands.common_options import code_options, one_profile
from tui.commands.context import data, notice, service_from
from tui.engine.errors import AwsMfaError, RotationError, UsageError
from tui.engine.mfa.codes import choose_code_source
from tui.engine.rotation.access_keys import key_rows
from tui.engine.rotation.key_rotation import KeyRotation
from tui.engine.rotation.plan import RotationPlan, RotationStep, StepEvent, StepOutcome
from tui.engine.rotation.words import plan_lines, recovery_summary

_MARKS = {
    StepOutcome.DONE: "ok",
    StepOutcome.FAILED: "FAILED",
    StepOutcome.SKIPPED: "skipped",
}


def _has_terminal() -> bool:
    try:
        return sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _ask(question: str) -> bool:
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    answer = sys.stdin.readline()
    return answer.strip().lower() in ("y", "yes")


def show_plan(plan: RotationPlan, now: datetime) -> None:
    notice(f"access keys of {plan.arn}:")
    for row in key_rows(plan.keys, plan.profile, plan.old_key_id, now):
        notes = [n for n in (row.note, "older than 90 days" if row.old else "") if n]
        note = f"  <- {', '.join(notes)}" if notes else ""
        notice(f"  {row.masked}  {row.status:<8}  created {row.created} ({row.age})  "
               f"last used {row.last_used}{note}")
    if plan.blocked:
        return
    notice(f"plan (IAM calls signed with {plan.signed_with}):")
    for number, line in enumerate(plan_lines(plan), 1):
        notice(f"  {number}. {line}")


def _print_step(event: StepEvent) -> None:
    mark = _MARKS.get(event.outcome)
    if mark is None:
        if event.step is RotationStep.VERIFY and event.detail:  # "not yet (2), retrying"
            notice(f"  ..      {event.step.label}: {event.detail}")
        return
    detail = f": {event.detail}" if event.detail else ""
    notice(f"  {mark:<7} {event.step.label}{detail}")


def options(parser: argparse.ArgumentParser) -> None:
    one_profile(parser)
    parser.add_argument("--yes", action="store_true", help="don't ask before rotating")
    code_options(parser)
    parser.add_argument("--keep-old-inactive", action="store_true",
                        help="leave the old key inactive instead of deleting it")
    parser.add_argument("--delete-inactive", action="store_true",
                        help="with two keys, delete the other one first if it is inactive")


def run(args: argparse.Namespace) -> int:
    interactive = _has_terminal()
    if not args.yes and not interactive:
        raise UsageError(
            "rotate changes your access keys and asks first, but there's no terminal to ask "
            "on: pass --yes to rotate without asking"
        )
    service = service_from(args)
    identity = service.catalog().identity(args.profile)
    rotation = KeyRotation(service, identity.name, serial=args.serial_number)
    # The profile's own MFA session, while valid, signs (as on the rotation screen): no
    # code to type. An explicit --token-code (or `skip`) is used as given.
    unfinished = rotation.unfinished() is not None
    if args.token_code is not None or not rotation.use_valid_session():
        code_source = choose_code_source(args.token_code, identity.mfa_command)
        if unfinished:
            rotation.authenticate_for_recovery(code_source)
        else:
            rotation.authenticate(code_source)
    if unfinished:
        # A rotation of this profile was cut off (killed, power loss): finish it first.
        with _held_interrupts():
            recovered = rotation.finish_unfinished(on_step=_print_step)
        assert recovered is not None
        notice(recovery_summary(recovered))
        if not recovered.rolled_back:
            data(f"rotated {recovered.profile}: key {recovered.key_id} (finished the "
                 "rotation that was cut off)")
            if recovered.stale_sessions:
                _offer_refresh(service, identity.name, recovered.stale_sessions,
                               ask=interactive and not args.yes)
            return 0
    plan = rotation.plan(delete_inactive=args.delete_inactive,
                         keep_old_inactive=args.keep_old_inactive)
    show_plan(plan, service.clock())
    if plan.blocked:
        rotation.run(plan)  # logs the refusal and raises RotationError
    if not args.yes and not _ask(f"rotate the access key of {identity.name}?"):
        raise RotationError("not confirmed; nothing was changed")
    with _held_interrupts():
        result = rotation.run(plan, on_step=_print_step)
    for note in result.notes:
        notice(note)
    sections = ", ".join(f"[{s}]" for s in result.sections)
    data(f"rotated {result.profile}: new key {result.new_key_id} in {sections}; old key "
         f"{result.old_key_id} {result.old_key_state}")
    if result.stale_sessions:
        _offer_refresh(service, identity.name, result.stale_sessions,
                       ask=interactive and not args.yes)
    return 0


@contextlib.contextmanager
def _held_interrupts() -> Iterator[None]:
    """Ctrl-C or SIGTERM between creating a key and saving it would lose the new key's
    secret: while the steps run (at most about 90 s), say so and carry on."""
    def hold(signum: int, frame: object) -> None:
        notice("the key rotation can't be stopped safely half-way; it finishes in at most "
               "about 90 seconds")

    previous = {sig: signal.signal(sig, hold) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _offer_refresh(service, profile: str, sessions: tuple[str, ...], ask: bool) -> None:
    names = ", ".join(sessions)
    if not ask or not _ask(f"{names} was made with the old key and is marked stale; "
                           "refresh it now?"):
        notice(f"{names} is marked stale: run `aws-mfa-tui refresh {profile}` for a new one")
        return
    try:
        refreshed = service.renew(profile)
    except AwsMfaError as exc:
        notice(f"the key was rotated, but refreshing {names} failed: {exc}")
        return
    notice(f"{refreshed.target} refreshed")
