"""Commercial records: accounts, contacts, products, opportunities, contracts, deal desk."""
