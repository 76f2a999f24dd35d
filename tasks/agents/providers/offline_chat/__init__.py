"""The offline copilot: a rule-based chat model (no network, no key), named as such in the UI.
Pure Python like the offline support model; it shares that model's turn rendering."""
