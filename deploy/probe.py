"""Container health check: ``python deploy/probe.py /healthz`` exits 0 when the local web
server answers 200.

It sends the first ALLOWED_HOSTS entry as the Host header, because Django refuses any other
host (even for a probe), and plain HTTP is fine: the probe paths are exempt from the HTTPS
redirect. Standard library only, so the slim image needs no curl.
"""

import http.client
import os
import sys


def main() -> int:
    path = sys.argv[1] if len(sys.argv) > 1 else "/healthz"
    host = os.environ.get("ALLOWED_HOSTS", "localhost").split(",")[0].strip()
    connection = http.client.HTTPConnection("127.0.0.1", int(os.environ.get("PORT", "8000")), timeout=5)
    try:
        connection.request("GET", path, headers={"Host": host})
        status = connection.getresponse().status
    except OSError as exc:
        print(f"probe {path}: {exc}", file=sys.stderr)
        return 1
    finally:
        connection.close()
    return 0 if status == 200 else 1


if __name__ == "__main__":
    sys.exit(main())
