"""Accounts and sessions: API tokens (hashed at rest, expiring, revocable), session
lifetime, response headers for signed-in pages, the client address behind a proxy."""
