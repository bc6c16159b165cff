"""What pyproject.toml cannot declare: where the wheel's files come from, and the compiled
catalogs.

The repository keeps templates/ and migrations/ at its top level; the wheel installs them
inside the package (kitlog/templates, kitlog/migrations), where `create_app` looks first.
The .mo catalogs are git-ignored build products: building the wheel compiles them from the
.po files with Babel (a build requirement), and fails on a catalog with errors rather than
install a kitlog that shows untranslated pages.
"""

from __future__ import annotations

from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

TRANSLATIONS = Path("kitlog", "translations")


class BuildWithCatalogs(build_py):
    """build_py, then every kitlog/translations/<lang>/LC_MESSAGES/messages.po compiled
    into the build's messages.mo (an editable install reads the checkout's, which
    `make compile-translations` keeps)."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            self.compile_catalogs()

    def compile_catalogs(self) -> None:
        try:
            from babel.messages.mofile import write_mo
            from babel.messages.pofile import read_po
        except ImportError as error:
            raise SystemExit(
                "Building kitlog compiles its translations with Babel, which is missing: "
                "install it (pip install babel) or build with build isolation, which "
                "installs the build requirements of pyproject.toml."
            ) from error
        catalogs = sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))
        if not catalogs:
            raise SystemExit(f"No catalogs in {TRANSLATIONS}/<lang>/LC_MESSAGES/messages.po")
        for po_path in catalogs:
            with po_path.open("rb") as po:
                catalog = read_po(po, locale=po_path.parent.parent.name)
            errors = [
                f"{po_path}:{message.lineno}: {error}"
                for message, message_errors in catalog.check()
                for error in message_errors
            ]
            if errors:
                raise SystemExit("Catalog errors:\n" + "\n".join(errors))
            mo_path = Path(self.build_lib, po_path.with_suffix(".mo"))
            mo_path.parent.mkdir(parents=True, exist_ok=True)
            with mo_path.open("wb") as mo:
                write_mo(mo, catalog, use_fuzzy=False)


setup(
    packages=[
        *find_packages(include=["kitlog", "kitlog.*"]),
        "kitlog.templates",
        "kitlog.migrations",
    ],
    package_dir={"kitlog.templates": "templates", "kitlog.migrations": "migrations"},
    package_data={
        "kitlog": [
            "static/**/*",
            "translations/**/*.po",
            "translations/messages.pot",
            "fonts/*",
            "data/**/*",
        ],
        "kitlog.templates": ["**/*"],
        "kitlog.migrations": ["README", "alembic.ini", "script.py.mako", "versions/*.py"],
    },
    cmdclass={"build_py": BuildWithCatalogs},
)
