"""The rules of DESIGN.md §3. Services take the session first, flush, and never commit."""
