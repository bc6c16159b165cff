"""The build tooling keeps its promises: contracts bite, CI cannot pass on nothing, bench runs."""

from __future__ import annotations

import ast
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _load_run_tests():
    spec = importlib.util.spec_from_file_location("kitlog_run_tests", ROOT / "scripts/run_tests.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def run_tests(monkeypatch):
    monkeypatch.delenv("PYTEST_ARGS", raising=False)
    return _load_run_tests()


UNREACHABLE = "postgresql+psycopg://postgres@127.0.0.1:1/test"


def test_unreachable_postgresql_fails_the_run_on_ci(run_tests, monkeypatch, tmp_path):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("KITLOG_TEST_DATABASE_URL", UNREACHABLE)
    step = run_tests.postgresql_step(tmp_path)
    assert step.status == "FAILED"
    assert run_tests.summary([step], tested=True) == 1


def test_unreachable_postgresql_skips_that_half_off_ci(run_tests, monkeypatch, tmp_path, capsys):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("KITLOG_TEST_DATABASE_URL", UNREACHABLE)
    step = run_tests.postgresql_step(tmp_path)
    assert step.status == "skipped"
    assert "PostgreSQL not reachable at" in capsys.readouterr().out
    assert run_tests.summary([step], tested=True) == 0


def test_a_run_that_collects_no_tests_fails(run_tests, tmp_path):
    empty = tmp_path / "nothing_here"
    empty.mkdir()
    step = run_tests.pytest_step("SQLite", [str(empty), "-p", "no:cacheprovider"], tmp_path)
    assert step.status == "FAILED"
    assert "collected no tests" in step.detail


def test_a_half_run_in_the_background_shows_its_output_and_fails_like_one_run_live(
    run_tests, tmp_path, capfd
):
    empty = tmp_path / "nothing_here"
    empty.mkdir()
    started = run_tests.start_pytest("PostgreSQL", [str(empty), "-p", "no:cacheprovider"], tmp_path)
    step = run_tests.finish_pytest(started)
    assert step.status == "FAILED"
    assert "collected no tests" in step.detail
    assert "no tests ran" in capfd.readouterr().out


def test_the_halves_run_together_unless_asked_one_at_a_time(run_tests, monkeypatch):
    monkeypatch.delenv("KITLOG_TEST_HALVES", raising=False)
    assert run_tests.halves_together()
    monkeypatch.setenv("KITLOG_TEST_HALVES", "one-at-a-time")
    assert not run_tests.halves_together()


def test_the_suite_caches_bytecode_whatever_the_environment_says(run_tests, monkeypatch):
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    assert "PYTHONDONTWRITEBYTECODE" not in run_tests.pytest_env()


def test_the_closing_line_counts_every_half(run_tests, capsys):
    steps = [
        run_tests.Step("SQLite", passed=10, failed=1, skipped=2),
        run_tests.Step("PostgreSQL", passed=12, failed=0, skipped=0),
    ]
    run_tests.summary(steps, tested=True)
    assert capsys.readouterr().out.strip().splitlines()[-1] == (
        "kitlog: 22 passed, 1 failed, 2 skipped"
    )


VIOLATIONS = {
    "services/_imports_a_view.py": "import kitlog.blueprints\n",
    "documents/_imports_flask.py": "import flask\n",
    "models/_reads_the_request.py": "from flask import request\n",
    # A lower step of the import using the background runner (the file's own text goes).
    "services/imports/columns.py": "import kitlog.services.imports.runner\n",
}


def test_import_contracts_catch_each_broken_layer(tmp_path):
    shutil.copytree(
        ROOT / "kitlog", tmp_path / "kitlog", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for path, source in VIOLATIONS.items():
        (tmp_path / "kitlog" / path).write_text(source)
    result = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache", "--no-logo"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = " ".join(result.stdout.split())
    assert result.returncode != 0, out
    for contract in (
        "Layers: blueprints -> services -> models",
        "Documents import no Flask",
        "Services import no views",
        "Services and models import neither flask nor flask_wtf (no request state)",
        "Imports: runner -> insert, check slots, templates -> jobs -> checking -> reading"
        " -> columns",
    ):
        assert f"{contract} BROKEN" in out
    assert "BROKEN" in out
    assert "0 broken" not in out


def test_babel_config_extracts_python_and_template_strings(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [str(BIN / "pybabel"), "-q", "extract", "-F", "babel.cfg", "-k", "_l", "-o", str(pot), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    text = pot.read_text()
    assert "#: kitlog/" in text
    assert "#: templates/" in text


def test_bench_builds_and_times_a_small_ledger(db_backend, tmp_path):
    args = ["--rows", "2000", "--repeat", "1", "--no-save"]
    # each half times its own database: the PostgreSQL half leaves SQLite to the other
    args.append("--sqlite-only" if db_backend == "sqlite" else "--postgresql-only")
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench/ledger.py"), *args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kitlog/raw" in result.stdout
    shown = {name for name in ("SQLite", "PostgreSQL") if f"\n{name} " in result.stdout}
    assert shown == ({"SQLite"} if db_backend == "sqlite" else {"PostgreSQL"}), result.stdout


STRICT_PACKAGES = ["kitlog.services.*", "kitlog.models.*", "kitlog.documents.*"]


def _mypy_config() -> dict:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]


def test_mypy_checks_services_models_and_documents_with_every_strict_flag():
    from mypy.main import process_options
    from mypy.options import PER_MODULE_OPTIONS

    def options(*args):
        return process_options(["--config-file", os.devnull, *args, "-c", "pass"])[1]

    strict, default = options("--strict"), options()
    expected = {}
    for name in PER_MODULE_OPTIONS:
        value = getattr(strict, name)
        if value != getattr(default, name):
            # the configuration says no_implicit_reexport where the option is implicit_reexport
            expected[name if value is True else f"no_{name}"] = True
    assert len(expected) >= 10
    config = _mypy_config()
    override = next(o for o in config["overrides"] if o["module"] == STRICT_PACKAGES)
    assert {k: v for k, v in override.items() if k != "module"} == expected
    assert config["warn_redundant_casts"] is True  # --strict's global flags
    assert config["warn_unused_configs"] is True


def test_no_module_of_the_strict_layers_has_its_errors_ignored():
    layers = tuple(package.removesuffix("*") for package in STRICT_PACKAGES)
    for override in _mypy_config()["overrides"]:
        if override.get("ignore_errors"):
            modules = override["module"]
            modules = [modules] if isinstance(modules, str) else modules
            assert [m for m in modules if m.startswith(layers)] == []


def test_a_type_ignore_in_the_strict_layers_names_its_error_and_says_why():
    """`# type: ignore[code]  # why` on the line, or a comment just above the line (or
    above the run of ignored lines it starts)."""
    import re

    ignore = re.compile(r"# type: ignore(\[[a-z-]+(, [a-z-]+)*\])?(.*)$")
    bare = []
    for package in ("services", "models", "documents"):
        for path in sorted((ROOT / "kitlog" / package).rglob("*.py")):
            lines = path.read_text().splitlines()
            for number, line in enumerate(lines):
                found = ignore.search(line)
                if found is None:
                    continue
                above = number - 1
                while above >= 0 and ignore.search(lines[above]):
                    above -= 1
                said_why = re.match(r"\s+# \w", found.group(3)) or (
                    above >= 0 and lines[above].lstrip().startswith("# ")
                )
                if found.group(1) is None or not said_why:
                    bare.append(f"{path.relative_to(ROOT)}:{number + 1}")
    assert bare == []


def test_mypy_refuses_an_untyped_function_in_the_strict_layers_only(tmp_path):
    untyped = "def double(x):\n    return x * 2\n"
    for package in ("kitlog", "kitlog/services", "kitlog/blueprints"):
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "kitlog/services/_untyped.py").write_text(untyped)
    (tmp_path / "kitlog/blueprints/_untyped.py").write_text(untyped)
    result = subprocess.run(
        [
            str(BIN / "mypy"),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "cache"),
            "kitlog",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 1, result.stdout
    assert errors[0].startswith("kitlog/services/_untyped.py:1: error:")
    assert "[no-untyped-def]" in errors[0]


def imports_of_test_modules(tests_dir: Path) -> list[str]:
    """Each `file: module` where a file under tests_dir imports a `test_*` module (or a name
    from one): what several test modules share belongs in a helpers module or a conftest."""
    found = []
    for path in sorted(tests_dir.rglob("*.py")):
        package = path.relative_to(tests_dir.parent).parent.parts
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else ()
                module = ".".join((*base, *([node.module] if node.module else [])))
                modules = [module, *(f"{module}.{alias.name}" for alias in node.names)]
            else:
                continue
            for module in modules:
                parts = module.split(".")
                test_modules = [
                    ".".join(parts[: at + 1])
                    for at, part in enumerate(parts)
                    if part.startswith("test_")
                    and tests_dir.parent.joinpath(*parts[: at + 1]).with_suffix(".py").is_file()
                ]
                if parts[0] == tests_dir.name and test_modules:
                    found.append(f"{path.relative_to(tests_dir.parent)}: {test_modules[0]}")
                    break
    return found


def test_no_test_module_imports_from_another_test_module():
    assert imports_of_test_modules(ROOT / "tests") == []


def test_an_import_from_a_test_module_is_found(tmp_path):
    tests = tmp_path / "tests"
    (tests / "web").mkdir(parents=True)
    for name in ("__init__.py", "web/__init__.py", "web/pages.py", "test_a.py", "web/test_b.py"):
        (tests / name).write_text("")
    (tests / "web/test_c.py").write_text(
        "from tests.web.pages import upload\n"
        "from tests.test_a import helper\n"
        "from tests.web import pages, test_b\n"
        "from .test_b import other\n"
        "from . import pages\n"
        "import tests.test_a\n"
    )
    found = [f"tests/web/test_c.py: tests.{module}" for module in ("test_a", "web.test_b")]
    assert imports_of_test_modules(tests) == [*found, found[1], found[0]]


def test_each_half_keeps_its_own_record_of_what_failed(run_tests, monkeypatch, tmp_path):
    """Two halves running at once in one pytest cache: the last to end rewrote the other's
    record of its failures (`pytest --lf` then reran the wrong tests)."""
    monkeypatch.setattr(run_tests, "ROOT", tmp_path)  # not the checkout's own cache
    failing = tmp_path / "test_fails.py"
    failing.write_text("def test_fails():\n    assert False\n")
    passing = tmp_path / "test_passes.py"
    passing.write_text("def test_passes():\n    assert True\n")
    sqlite = run_tests.start_pytest("SQLite", [str(failing)], tmp_path)
    postgresql = run_tests.start_pytest("PostgreSQL", [str(passing)], tmp_path)
    assert run_tests.finish_pytest(sqlite).failed == 1
    assert run_tests.finish_pytest(postgresql).passed == 1
    folders = {name: run_tests.cache_dir(name) for name in ("SQLite", "PostgreSQL")}
    assert folders["SQLite"] != folders["PostgreSQL"]
    failed = folders["SQLite"] / "v" / "cache" / "lastfailed"
    assert "test_fails.py::test_fails" in failed.read_text()
