"""What the benchmarks share: a small asyncio HTTP/1.1 client and the closed and open loops that
drive it (``http``), a gunicorn server and a CPU meter (``procs``), percentiles (``stats``) and
the profile's grouping by package (``profiling``). Nothing here knows about votes."""
