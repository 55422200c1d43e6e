"""The domain: SQLModel tables, the flow rules, money and bands, field kinds and value rules, derived values,
the conflict rule. No Textual, no store, no HTTP: the laptop and the sync server both stand on it."""
