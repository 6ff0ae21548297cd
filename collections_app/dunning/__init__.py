"""Dunning rules (schedule.py), reminder wording (emails.py) and the default policy
(defaults.py). Writes live in collections_app.services."""
