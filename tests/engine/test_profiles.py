"""The profile catalog: identities, their sessions and roles, read from the credentials
and config files and the settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tui.engine.credentials_file.ini_document import IniDocument
from tui.engine.errors import UsageError
from tui.engine.profiles.catalog import build_catalog, read_config
from tui.engine.settings import Settings, parse_settings

CREDENTIALS = """\
[work]
aws_access_key_id = AKIAWORK
aws_secret_access_key = s1
aws_mfa_device = arn:aws:iam::111111111111:mfa/alice

[work-mfa]
aws_access_key_id = ASIAWORK
aws_secret_access_key = s
aws_session_token = t
expiration = 2026-11-22T18:00:00Z

[identity]
aws_access_key_id = AKIAIDENT
aws_secret_access_key = s2

[default]
aws_access_key_id = ASIADEFAULT
aws_secret_access_key = s
aws_session_token = t

[clash]
aws_access_key_id = AKIACLASH
aws_secret_access_key = s3

[clash-mfa]
aws_access_key_id = AKIACLASHMFA
aws_secret_access_key = s4
"""

CONFIG = """\
[profile work]
mfa_serial = arn:aws:iam::111111111111:mfa/alice-config
region = eu-west-1

[profile prod]
role_arn = arn:aws:iam::222222222222:role/Admin
source_profile = work-mfa

[profile other]
role_arn = arn:aws:iam::222222222222:role/Other
source_profile = somebody-else
"""


def _catalog(tmp_path, settings: Settings):
    config = tmp_path / "config"
    config.write_text(CONFIG)
    return build_catalog(IniDocument.parse(CREDENTIALS), read_config(config), settings)


def test_catalog_identities_sessions_and_roles(tmp_path):
    settings = parse_settings({
        "profiles": {"identity": {"target": "default"}},
        "roles": {"ro": {"role_arn": "arn:aws:iam::3:role/RO", "source_profile": "identity"}},
    })
    catalog = _catalog(tmp_path, settings)
    names = [i.name for i in catalog.identities]
    assert names == ["work", "identity", "clash", "clash-mfa"]
    work = catalog.identity("work-mfa")  # found by its session profile too
    assert work.name == "work" and work.session.expiration == datetime(2026, 11, 22, 18,
                                                                        tzinfo=UTC)
    # config's mfa_serial beats the credentials file's aws_mfa_device
    assert work.mfa_serial.endswith("alice-config") and work.serial_source == "config"
    assert work.region == "eu-west-1"
    assert catalog.identity("identity").session_profile == "default"  # awsmfa layout
    assert catalog.identity("clash").session.blocked  # clash-mfa holds long-term keys
    roles = {r.name: r for r in catalog.roles}
    assert set(roles) == {"prod", "ro"}
    assert roles["prod"].target == "prod-session" and roles["prod"].identity == "work"
    assert roles["ro"].target == "ro" and roles["ro"].identity == "identity"


def test_settings_serial_beats_config(tmp_path):
    settings = parse_settings({"profiles": {"work": {"mfa_serial": "arn:aws:iam::1:mfa/s"}}})
    work = _catalog(tmp_path, settings).identity("work")
    assert work.mfa_serial == "arn:aws:iam::1:mfa/s" and work.serial_source == "settings"


def test_unknown_identity_lists_known_ones(tmp_path):
    with pytest.raises(UsageError, match="work"):
        _catalog(tmp_path, Settings()).identity("nope")
