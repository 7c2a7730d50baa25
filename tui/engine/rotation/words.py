"""The words the command line and the rotation screen show for a plan and for a recovery
(masked key ids; never a secret)."""

from __future__ import annotations

from tui.engine.rotation.plan import RecoveryResult, RotationPlan
from tui.engine.secret import mask_key_id


def sections_text(names: tuple[str, ...] | list[str]) -> str:
    """`[a], [b]`: section names as the credentials file writes them."""
    return ", ".join(f"[{name}]" for name in names)


def plan_lines(plan: RotationPlan) -> list[str]:
    """The plan as short lines, one a step."""
    old = mask_key_id(plan.old_key_id)
    lines = []
    if plan.delete_other_first and plan.other_key is not None:
        lines.append(f"delete the inactive key {mask_key_id(plan.other_key.access_key_id)}")
    lines += [
        "create a new access key",
        f"write it to {sections_text(plan.sections)} at once (locked, atomic)",
        "check the new key works (up to 60 s)",
        f"deactivate the old key {old}"
        + (" and leave it inactive" if plan.keep_old_inactive else ", then delete it"),
    ]
    if plan.stale_sessions:
        lines.append(f"mark {sections_text(plan.stale_sessions)} stale (refresh it "
                     "afterwards)")
    return lines


def recovery_summary(result: RecoveryResult) -> str:
    """One line: what finishing a cut-off rotation did."""
    what = "undone" if result.rolled_back else "finished"
    done = "; ".join(result.actions) if result.actions else "nothing was left to do"
    return (f"a key rotation of {result.profile} was cut off; it was {what}: {done}. "
            f"[{result.profile}] holds {mask_key_id(result.key_id)}")
