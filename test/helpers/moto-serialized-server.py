"""moto_server with its app calls serialized by one lock.

moto 5.2.1 rolls a failed TransactWriteItems back by restoring a deepcopy of the tables taken when the
transaction started, so two concurrent requests can undo or leak each other's writes (seen in the
CheckpointStore contract: a losing transaction's items survived). Real DynamoDB isolates transactions.
Serving one request at a time (connections stay threaded, so keep-alive still works) restores that
isolation for tests. Usage: python3 moto-serialized-server.py HOST PORT
"""
import sys
import threading

from moto.server import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import run_simple

app = DomainDispatcherApplication(create_backend_app)
lock = threading.Lock()


def serialized(environ, start_response):
    with lock:
        # Materialize the body inside the lock: moto does its work while producing the response.
        return list(app(environ, start_response))


if __name__ == "__main__":
    run_simple(sys.argv[1], int(sys.argv[2]), serialized, threaded=True)
