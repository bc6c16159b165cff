"""QR codes, label sheets, manifests and report PDFs: data in, bytes out; no Flask."""
