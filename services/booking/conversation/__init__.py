"""The pure SMS booking conversation: ``engine.handle(state, message, context) -> Turn``.

No I/O: it reads plain dataclasses and returns a reply and actions for the SMS channel to carry
out. It must not import the ``api`` or ``sms`` subpackages.
"""
