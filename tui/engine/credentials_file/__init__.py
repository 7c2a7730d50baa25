"""The credentials file: read as botocore reads it, and written by one locked, atomic writer."""
