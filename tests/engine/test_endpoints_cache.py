"""STS and IAM clients resolve every endpoint exactly as botocore's own data says, from a
trimmed, cached copy of botocore's endpoints file (only those two services in each
partition), and the cache is keyed so that another source file is never answered from it."""

from __future__ import annotations

import json
import os
import stat

import botocore.loaders
import botocore.regions
import botocore.session
import pytest

from tui.engine.aws import client as aws_client
from tui.engine.aws.client import make_client, trimmed_endpoints
from tui.engine.credential_values import AwsKeys
from tui.engine.secret import Secret


def _our_loader():
    return aws_client._data_loader(aws_client.new_session())


def _resolve(resolver, service, region, partition, dualstack):
    try:
        return resolver.construct_endpoint(service, region, partition_name=partition,
                                           use_dualstack_endpoint=dualstack)
    except Exception as exc:  # the same refusal counts as the same answer
        return type(exc).__name__


def test_every_sts_and_iam_endpoint_resolves_as_with_the_full_data(sandbox_home):
    full = botocore.loaders.create_loader().load_data("endpoints")
    trimmed = trimmed_endpoints(_our_loader())
    assert trimmed is not None
    assert len(json.dumps(trimmed)) < len(json.dumps(full)) / 10
    theirs = botocore.regions.EndpointResolver(full)
    ours = botocore.regions.EndpointResolver(trimmed)
    checked = 0
    for partition in full["partitions"]:
        regions = [*partition["regions"], "aws-global", "us-gov-global", "not-a-region"]
        for service in ("sts", "iam"):
            for region in regions:
                for dualstack in (False, True):
                    name = partition["partition"]
                    assert _resolve(ours, service, region, name, dualstack) == _resolve(
                        theirs, service, region, name, dualstack), (service, region)
                    checked += 1
    assert checked > 100
    assert ours.get_available_partitions() == theirs.get_available_partitions()
    for service in ("sts", "iam"):
        assert ours.get_available_endpoints(service) == theirs.get_available_endpoints(service)


def test_the_cache_is_private_reused_and_rebuilt_when_broken(sandbox_home):
    trimmed_endpoints(_our_loader())
    folder = sandbox_home.home / ".cache" / "aws-mfa-tui"
    files = list(folder.glob("endpoints-*.json"))
    assert len(files) == 1
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600
    # Reused: a marker put into the cached copy comes back.
    data = json.loads(files[0].read_bytes())
    data["partitions"][0]["partitionName"] = "from the cache"
    files[0].write_text(json.dumps(data))
    assert trimmed_endpoints(_our_loader())["partitions"][0]["partitionName"] == "from the cache"
    # Broken: botocore's data again, and the cache is written anew.
    files[0].write_text("{not json")
    again = trimmed_endpoints(_our_loader())
    assert again["partitions"][0]["partitionName"] != "from the cache"
    assert json.loads(files[0].read_bytes())["partitions"][0]["partitionName"] != "{not json"


def test_an_endpoints_file_on_aws_data_path_is_not_answered_from_the_cache(
        sandbox_home, tmp_path, monkeypatch):
    trimmed_endpoints(_our_loader())  # the built-in file's copy is cached
    custom = tmp_path / "models"
    custom.mkdir()
    full = botocore.loaders.create_loader().load_data("endpoints")
    full["partitions"][0]["services"]["sts"]["endpoints"]["us-east-1"] = {
        "hostname": "sts.custom.example"}
    (custom / "endpoints.json").write_text(json.dumps(full))
    monkeypatch.setenv("AWS_DATA_PATH", str(custom))
    data = trimmed_endpoints(_our_loader())
    assert data["partitions"][0]["services"]["sts"]["endpoints"]["us-east-1"] == {
        "hostname": "sts.custom.example"}


@pytest.mark.parametrize("region", ["us-east-1", "cn-north-1", "us-gov-west-1", "eu-west-3"])
def test_a_client_gets_botocores_own_endpoint(sandbox_home, monkeypatch, region):
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    keys = AwsKeys("AKIAEXAMPLE000000001", Secret("s"))
    ours = make_client("sts", keys, region)
    theirs = botocore.session.get_session().create_client(
        "sts", region_name=region, aws_access_key_id="AKIAEXAMPLE000000001",
        aws_secret_access_key="s")
    assert ours.meta.endpoint_url == theirs.meta.endpoint_url
    assert ours.meta.region_name == theirs.meta.region_name
    assert ours.meta.partition == theirs.meta.partition
