"""Reaching customers: the outbox (delivered after the commit) and campaigns over saved
segments."""
