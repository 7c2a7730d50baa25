"""`policy`: a starter IAM policy that requires MFA for everything except what a user
needs before MFA, and allows self-service access-key rotation under MFA."""

from __future__ import annotations

import argparse
import json

from tui.commands.context import data

SELF = "arn:aws:iam::*:user/${aws:username}"
OWN_MFA = "arn:aws:iam::*:mfa/${aws:username}"

# What a user may do before they have an MFA session: say who they are, set up and list
# their own MFA device, and trade keys plus a code for a session.
BEFORE_MFA = [
    "sts:GetCallerIdentity",
    "sts:GetSessionToken",
    "iam:GetUser",
    "iam:ListMFADevices",
    "iam:ListVirtualMFADevices",
    "iam:CreateVirtualMFADevice",
    "iam:EnableMFADevice",
    "iam:ResyncMFADevice",
    "iam:ChangePassword",
    "iam:GetAccountPasswordPolicy",
]

STARTER_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowIdentifyingYourself",
            "Effect": "Allow",
            "Action": ["sts:GetCallerIdentity", "iam:GetAccountPasswordPolicy",
                       "iam:ListVirtualMFADevices"],
            "Resource": "*",
        },
        {
            "Sid": "AllowGettingAnMfaSession",
            "Effect": "Allow",
            "Action": "sts:GetSessionToken",
            "Resource": "*",
        },
        {
            "Sid": "AllowManagingYourOwnMfaDevice",
            "Effect": "Allow",
            "Action": ["iam:GetUser", "iam:ListMFADevices", "iam:CreateVirtualMFADevice",
                       "iam:EnableMFADevice", "iam:ResyncMFADevice", "iam:ChangePassword"],
            "Resource": [SELF, OWN_MFA],
        },
        {
            "Sid": "AllowRotatingYourOwnAccessKeysWithMfa",
            "Effect": "Allow",
            "Action": ["iam:ListAccessKeys", "iam:GetAccessKeyLastUsed", "iam:CreateAccessKey",
                       "iam:UpdateAccessKey", "iam:DeleteAccessKey"],
            "Resource": SELF,
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        },
        {
            "Sid": "DenyEverythingElseWithoutMfa",
            "Effect": "Deny",
            "NotAction": BEFORE_MFA,
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        },
    ],
}


def options(parser: argparse.ArgumentParser) -> None:
    """`policy` takes no options."""


def run(args: argparse.Namespace) -> int:
    data(json.dumps(STARTER_POLICY, indent=2))
    return 0
