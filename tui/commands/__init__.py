"""One module per command. Each exposes `run(args: argparse.Namespace) -> int`."""

#: The commands the open TUI's agent can answer from its memory (`agent_first`).
AGENT_SERVED = ("credential-process", "env", "exec")
