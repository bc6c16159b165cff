"""The dashboard has no forms: it only reads."""
