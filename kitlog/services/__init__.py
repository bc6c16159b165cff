"""The rules of docs/design.md. Services take the session first, flush, and never commit."""
