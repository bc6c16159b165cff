"""The names of label files: a round's and a village's names, as a file name carries them."""

from __future__ import annotations

from kitlog.services import labels


def test_a_label_file_name_carries_names_as_ascii_words():
    assert labels.file_slug("Desa Sukamaju") == "desa-sukamaju"
    assert labels.file_slug("Putaran 2 — Kab. Malang (Jawa Timur)") == (
        "putaran-2-kab-malang-jawa-timur"
    )
    assert labels.file_slug('Bèta "1"/../x') == "beta-1-x"
    assert labels.file_slug("!!!") == "x"
    assert len(labels.file_slug("a" * 100)) == labels.SLUG_LENGTH
