"""AWS calls: the STS and IAM calls, their clients, deadlines, errors and replies."""
