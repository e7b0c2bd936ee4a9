"""Every change this grader makes to nbgrader's (and SQLAlchemy's) own objects, in one place.

nbgrader 0.9 has no extension point for these; they are made in each grading worker
(``cli``), never in the instructor's own nbgrader commands, and only for nbgrader 0.9.x,
whose internals they were written against (``check_version``):

- ``count_database_time``: ``Gradebook.__init__`` and ``Gradebook.close`` are wrapped, and
  SQLAlchemy's engine events time every statement, so that the summary can say how much of
  a submission's grading was spent in the gradebook; SQLite connections wait up to two
  minutes for a lock (``busy_timeout``) instead of failing after SQLite's five seconds,
  since several workers write to one file.
- ``reuse_compiled_work``: nbgrader's ``api.create_engine`` keeps one engine per database
  URL, and ``nbgraderformat.common.jsonschema`` validates with one validator per schema.
"""

from __future__ import annotations

import time
import types
from collections.abc import Callable

SUPPORTED = "0.9."


class UnsupportedNbgrader(RuntimeError):
    """The installed nbgrader is not the version these changes were written for."""


def check_version() -> None:
    """Raise ``UnsupportedNbgrader`` unless nbgrader 0.9.x is installed."""
    import nbgrader

    if not nbgrader.__version__.startswith(SUPPORTED):
        raise UnsupportedNbgrader(
            f"backproplab-grader works with nbgrader {SUPPORTED}x, but nbgrader "
            f"{nbgrader.__version__} is installed: install 'nbgrader>=0.9.5,<0.10' (as the "
            "grader's pyproject.toml requires), or port nbgrader_patches.py to it.")


def install(add_database_seconds: Callable[[float], None]) -> None:
    """Make every change of this module (see its docstring) in this process."""
    check_version()
    count_database_time(add_database_seconds)
    reuse_compiled_work()


def count_database_time(add_seconds: Callable[[float], None]) -> None:
    """Pass the seconds spent opening and closing gradebooks and running SQL statements to
    ``add_seconds``; SQLite connections wait for a lock instead of failing."""
    import sqlalchemy
    from nbgrader import api as nbgrader_api

    def timed(function):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                add_seconds(time.perf_counter() - started)
        return wrapper

    @sqlalchemy.event.listens_for(sqlalchemy.engine.Engine, "connect")
    def _patient_sqlite(dbapi_connection, record):
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            dbapi_connection.execute("PRAGMA busy_timeout = 120000")

    @sqlalchemy.event.listens_for(sqlalchemy.engine.Engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bpl_started"] = time.perf_counter()

    @sqlalchemy.event.listens_for(sqlalchemy.engine.Engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany):
        add_seconds(time.perf_counter() - conn.info.pop("bpl_started", time.perf_counter()))

    gradebook = nbgrader_api.Gradebook
    gradebook.__init__ = timed(gradebook.__init__)
    gradebook.close = timed(gradebook.close)


def reuse_compiled_work() -> None:
    """Two things stock nbgrader redoes for every notebook, done once per worker here.

    - nbgrader opens a new SQLAlchemy engine for every gradebook it opens (nine per
      submission), and each new engine compiles every SQL statement anew. One engine per
      database URL keeps the compiled statements; ``Gradebook.close`` still closes its
      connections (``dispose``), as before.
    - nbgrader checks each cell's metadata with ``jsonschema.validate``, which first checks
      the schema itself; a validator made once per schema does the same check of the cell
      (``best_match`` of the same errors, as ``jsonschema.validate`` raises).
    """
    import jsonschema
    from nbgrader import api as nbgrader_api
    from nbgrader.nbgraderformat import common

    create_engine, engines = nbgrader_api.create_engine, {}

    def shared_engine(url, **kwargs):
        key = (str(url), tuple(sorted(kwargs.items())))
        if key not in engines:
            engines[key] = create_engine(url, **kwargs)
        return engines[key]

    validators = {}

    def validate(instance, schema):
        if id(schema) not in validators:  # the schema is kept, so its id stays its own
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            validators[id(schema)] = (schema, cls(schema))
        error = jsonschema.exceptions.best_match(validators[id(schema)][1].iter_errors(instance))
        if error is not None:
            raise error

    nbgrader_api.create_engine = shared_engine
    common.jsonschema = types.SimpleNamespace(validate=validate)
