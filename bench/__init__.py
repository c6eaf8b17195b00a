"""Load benchmarks (wrk against gunicorn on 127.0.0.1); results go to docs/benchmarks.md."""
