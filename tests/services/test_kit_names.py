"""A kit type's name and its contents in the reader's language, chosen in one place."""

from __future__ import annotations

from flask_babel import refresh

from kitlog.models import KitItem, KitType
from kitlog.names import in_reader_language, kit_item_name, kit_type_name


def test_indonesian_readers_get_the_indonesian_name_when_there_is_one():
    kit = KitType(name="Family hygiene kit", name_id="Paket kebersihan keluarga")
    assert kit_type_name(kit, "id") == "Paket kebersihan keluarga"
    assert kit_type_name(kit, "en") == "Family hygiene kit"


def test_the_english_name_stands_in_for_an_empty_or_blank_indonesian_one():
    assert kit_type_name(KitType(name="Family hygiene kit", name_id=""), "id") == (
        "Family hygiene kit"
    )
    assert in_reader_language("Soap", "  ", "id") == "Soap"
    assert kit_item_name(KitItem(item="Soap", item_id=None), "id") == "Soap"
    assert kit_item_name(KitItem(item="Soap", item_id="Sabun"), "id") == "Sabun"
    assert kit_item_name(KitItem(item="Soap", item_id="Sabun"), "en") == "Soap"


def test_without_a_language_the_page_language_chooses(app):
    kit = KitType(name="Family hygiene kit", name_id="Paket kebersihan keluarga")
    with app.test_request_context(headers={"Accept-Language": "en"}):
        refresh()  # the language is kept per app context, and the test keeps one open
        assert kit_type_name(kit) == "Family hygiene kit"
    with app.test_request_context(headers={"Accept-Language": "id"}):
        refresh()
        assert kit_type_name(kit) == "Paket kebersihan keluarga"
