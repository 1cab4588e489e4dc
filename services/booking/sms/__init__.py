"""The SMS channel: the Twilio webhook, rate limits, and carrying out the conversation's actions.

It loads a phone number's stored conversation, calls the pure engine in
``services.booking.conversation`` and writes what the engine decided. May import the
conversation engine and ``shared``, never the JSON API.
"""
