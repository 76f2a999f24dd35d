"""Demo data for `manage.py seed_demo`: customers, orders, tickets and the knowledge base."""
