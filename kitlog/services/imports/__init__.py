"""Importing households from a spreadsheet (CSV or XLSX): all of it, or none of it.

A file is read in one pass (`reading.open_spreadsheet` checks the container, the
encoding and the header; `checking.check_rows` cleans every row exactly as a household
registered by hand, finds NIKs repeated in the file or already registered, and lists
every problem with its spreadsheet line). Only a file without a single problem is
imported: `inserting.import_households` takes the write lock, checks the registry again,
draws the codes once and inserts the rows in bulk, in one transaction (rule 7 of
docs/design.md).

The modules, each depending only on those before it:

- `columns`: the import columns (names, order, required or optional, header matching,
  what the template says about each).
- `reading`: the file up to its rows; `ImportFileError` says why a file cannot be read.
- `checking`: every row checked; `CheckedFile` holds the good rows and every problem.
- `jobs`: an upload from the pages is a `HouseholdImport` job whose state lives in the
  database, so that any worker can show its progress; these functions move a job along.
- `slots`: how many files are checked at once (`claim_check`).
- `inserting`: the insert, and `import_spreadsheet` (check, then insert) for the API.
- `templates`: the CSV and XLSX templates to fill in.
- `runner`: the jobs' background work, with sessions of its own; the pages start it.

The public names are re-exported here, so callers import this package. A constant such
as `INSERT_CHUNK` is read here too, but is set (in a test) on the module that uses it.
"""

from __future__ import annotations

from kitlog.services.imports.checking import (
    EXCEL_NUMBER_NIK,
    MAX_ROWS,
    NIK_CHUNK,
    PROGRESS_EVERY,
    CheckedFile,
    Progress,
    check_rows,
    check_spreadsheet,
    registered_niks,
)
from kitlog.services.imports.columns import (
    COLUMNS,
    EXAMPLE_ROW,
    OPTIONAL_COLUMNS,
    RELATION_WORDS,
    REQUIRED_COLUMNS,
    VULNERABILITY_WORDS,
)
from kitlog.services.imports.inserting import INSERT_CHUNK, import_households, import_spreadsheet
from kitlog.services.imports.jobs import (
    CANCELLABLE,
    STALE_AFTER,
    WORKING,
    begin_import,
    cancel_import,
    check_import,
    create_import,
    errors_by_row,
    fail_import,
    import_for,
    is_interrupted,
    job_errors,
    pack_checked,
    recent_imports,
    recheck_import,
    record_check,
    unpack_checked,
)
from kitlog.services.imports.reading import (
    MAX_UNPACKED_BYTES,
    MAX_UPLOAD_BYTES,
    READ_LIMITS,
    ImportFileError,
    Spreadsheet,
    open_spreadsheet,
    precheck_spreadsheet,
)
from kitlog.services.imports.slots import (
    BUSY_USER,
    IMPORT_CHECK_LOCK,
    MAX_CHECKS_PER_PROCESS,
    CheckSlot,
    ImportBusy,
    claim_check,
)
from kitlog.services.imports.templates import template_csv, template_xlsx

__all__ = [
    "BUSY_USER",
    "CANCELLABLE",
    "COLUMNS",
    "EXAMPLE_ROW",
    "EXCEL_NUMBER_NIK",
    "IMPORT_CHECK_LOCK",
    "INSERT_CHUNK",
    "MAX_CHECKS_PER_PROCESS",
    "MAX_ROWS",
    "MAX_UNPACKED_BYTES",
    "MAX_UPLOAD_BYTES",
    "NIK_CHUNK",
    "OPTIONAL_COLUMNS",
    "PROGRESS_EVERY",
    "READ_LIMITS",
    "RELATION_WORDS",
    "REQUIRED_COLUMNS",
    "STALE_AFTER",
    "VULNERABILITY_WORDS",
    "WORKING",
    "CheckSlot",
    "CheckedFile",
    "ImportBusy",
    "ImportFileError",
    "Progress",
    "Spreadsheet",
    "begin_import",
    "cancel_import",
    "check_import",
    "check_rows",
    "check_spreadsheet",
    "claim_check",
    "create_import",
    "errors_by_row",
    "fail_import",
    "import_for",
    "import_households",
    "import_spreadsheet",
    "is_interrupted",
    "job_errors",
    "open_spreadsheet",
    "pack_checked",
    "precheck_spreadsheet",
    "recent_imports",
    "recheck_import",
    "record_check",
    "registered_niks",
    "template_csv",
    "template_xlsx",
    "unpack_checked",
]
