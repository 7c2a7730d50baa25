"""The AWS console: the sign-in URL, and handing it to a browser."""
