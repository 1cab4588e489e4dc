"""The driver conversation: a pure command parser and its replies (en / zh-Hant), no I/O."""
