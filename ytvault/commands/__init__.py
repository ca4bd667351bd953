"""The command line: argument declarations, the entry point and exit codes (cli.py, the only
place errors become messages), what is printed, logging, and one module per command that is
more than a call into the pipeline (new, refresh, status, doctor).

The top layer: may import anything below; nothing imports it.
"""
