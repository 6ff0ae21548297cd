"""What every app uses. Imports no domain app (ordermgmt, billing, collections_app,
integrations), so any of them may import from here."""
