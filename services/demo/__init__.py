"""``rides demo``: a scripted day through the real webhook, and the SMS simulator page."""
