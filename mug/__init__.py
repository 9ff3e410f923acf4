"""MUG's browser package: pure Python (no Django), run identically in Pyodide and on the server."""
