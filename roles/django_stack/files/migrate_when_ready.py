"""Wait until the database accepts the web's own login, then apply the migrations.

The django_stack role runs this inside a one-off web container (`manage.py shell -c`), so
the login is the blog user's, with the web's settings, over the network the web container
uses: a database whose healthcheck passes (the check pings as root, and `mysqladmin ping`
counts "access denied" as alive) but which refuses or ignores that login gets no
migration, and the running web container is not replaced.

Exit status GATE_FAILED (3): the login did not succeed within DOCKYARD_DB_GATE_TIMEOUT
seconds; the last error is on stderr and nothing was migrated. Exit status PENDING (4):
DOCKYARD_STOP_FOR_MIGRATIONS is 1 and there are migrations to apply, each named on stderr;
nothing was migrated. Any other non-zero status is the migration's own failure.
"""

import os
import sys
import threading
import time

from django.core.management import call_command
from django.db import connection

GATE_FAILED = 3
PENDING = 4
MARK = "dockyard-db-gate:"
PENDING_MARK = "dockyard-pending-migration:"


def give_up(reason: str) -> None:
    """Leave at once, even from a login that hangs in the client library."""
    print(f"{MARK} {reason}", file=sys.stderr, flush=True)
    os._exit(GATE_FAILED)


def wait_for_login(timeout: float) -> float:
    """Seconds it took until a login ran a query; gives up after `timeout`."""
    start = time.monotonic()
    # A server that accepts TCP but never answers (frozen, overloaded) would block the
    # client library without a bound: the watchdog ends the process instead.
    watchdog = threading.Timer(
        timeout + 10,
        give_up,
        [f"The database accepted the connection but did not answer within {timeout:.0f} s."],
    )
    watchdog.daemon = True
    watchdog.start()
    while True:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            break
        except Exception as error:  # any driver error means "not yet"
            connection.close()
            if time.monotonic() - start >= timeout:
                give_up(f"The last refusal: {error}.")
            time.sleep(1)
    watchdog.cancel()
    return time.monotonic() - start


waited = wait_for_login(float(os.environ.get("DOCKYARD_DB_GATE_TIMEOUT", "60")))
print(f"{MARK} The database accepted the login after {waited:.1f} s.", flush=True)
if os.environ.get("DOCKYARD_STOP_FOR_MIGRATIONS") == "1":
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        for migration, _backwards in plan:
            print(f"{PENDING_MARK} {migration.app_label}.{migration.name}", file=sys.stderr)
        sys.stderr.flush()
        os._exit(PENDING)
call_command("migrate", interactive=False)
