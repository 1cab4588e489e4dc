"""Development-only code: test doubles and benchmark readers. Not shipped in the wheel."""
