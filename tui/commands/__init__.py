"""One module per command. Each exposes `run(args: argparse.Namespace) -> int`."""
