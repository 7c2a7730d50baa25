"""aws-mfa-tui: keep ~/.aws/credentials stocked with MFA sessions."""

__version__ = "0.1.0"
