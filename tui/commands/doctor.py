"""`doctor [PROFILE ...]`: one screen of plain findings about the setup, each with its fix
(see `tui.engine.doctor`). `--json` gives the same findings. Exit 0 when all is well, else
1 with a one-line summary on stderr."""

from __future__ import annotations

from tui.commands.common_options import json_output, profile_names
from tui.commands.context import data, notice, service_from
from tui.engine.doctor import Finding, Verdict, examine, summary
from tui.engine.named_tuple import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

_MARK = {Verdict.OK: "ok", Verdict.PROBLEM: "!!", Verdict.UNKNOWN: "??"}
_TOPICS = {"files": "Files", "profile": "Identities", "role": "Roles", "aws": "What AWS says",
           "agent": "Agent"}


def options(parser: argparse.ArgumentParser) -> None:
    profile_names(parser, help="only these identities or roles (default: all)")
    json_output(parser, help="the same findings as JSON")
    parser.add_argument("--offline", action="store_true",
                        help="read the files only: ask AWS nothing")


def run(args: argparse.Namespace) -> int:
    service = service_from(args)
    findings = examine(service, args.profiles or None, ask_aws=not args.offline)
    line = summary(findings)
    if args.json:
        import json

        data(json.dumps({"findings": [f.as_json() for f in findings], "summary": line},
                        indent=2))
    else:
        data(report(findings))
    if any(f.verdict is Verdict.PROBLEM for f in findings):
        notice(f"doctor: {line}")
        return 1
    return 0


def report(findings: list[Finding]) -> str:
    """The findings grouped by topic, a mark before each (ok, !! a problem, ?? can't tell),
    its fix indented under it, and the summary last."""
    lines: list[str] = []
    for topic, title in _TOPICS.items():
        group = [f for f in findings if f.topic == topic]
        if not group:
            continue
        lines.append(title)
        for finding in group:
            lines.append(f"  {_MARK[finding.verdict]}  {finding.text}")
            if finding.fix:
                lines.append(f"      fix: {finding.fix}")
    lines.append(summary(findings))
    return "\n".join(lines)
