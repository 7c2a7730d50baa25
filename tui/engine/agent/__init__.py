"""The agent and the credentials endpoint: sessions for other programs from a long-lived process."""
