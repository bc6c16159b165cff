"""A reportlab canvas that knows how many pages the document has."""

from __future__ import annotations

from typing import Any

from reportlab.pdfgen.canvas import Canvas


class CountedPagesCanvas(Canvas):
    """Holds each page back until the last one is known, then calls `stamp(page, pages)`
    on every page, so a footer can say "page X of Y"."""

    # Whatever reportlab's document template passes to its canvas maker goes on to Canvas.
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held_pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._held_pages.append(dict(self.__dict__))
        self._startPage()  # type: ignore[attr-defined]  # Canvas's own; its stubs omit it

    def save(self) -> None:
        total = len(self._held_pages)
        for number, state in enumerate(self._held_pages, start=1):
            self.__dict__.update(state)
            self.stamp(number, total)
            super().showPage()
        super().save()

    def stamp(self, page: int, pages: int) -> None:
        """Draw what every page carries; `page` counts from 1."""
