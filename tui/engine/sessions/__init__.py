"""Sessions: getting them, handing them out, and keeping them fresh."""
