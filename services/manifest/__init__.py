"""The driver's private manifest page, ``/m/<token>``."""
