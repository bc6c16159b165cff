"""The baseline of bench/scans.py: a bare Flask endpoint, served by the same gunicorn.

    gunicorn --pythonpath bench bare_app:app

One JSON answer, no database, no extension: what a request costs in Flask and gunicorn
alone on this machine, so that kitlog's own requests are measured against it in one run.
"""

from __future__ import annotations

from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/ping")
def ping():
    return jsonify(ok=True)
