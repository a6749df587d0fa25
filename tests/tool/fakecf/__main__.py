"""Run the fake by hand, for poking at it with curl or the cfaop binary.

    cd tests/tool && PYTHONPATH=.. /usr/bin/python3 -m fakecf --zone example.com --token tok

prints the base URL, CA file, zone ids and serves until Ctrl-C. All state
lives in this process; there is no remote control channel.
"""

import argparse
import tempfile
import time

from .harness import FakeCloudflare


def main():
    ap = argparse.ArgumentParser(prog="fakecf", description=__doc__.splitlines()[0])
    ap.add_argument("--workdir", help="where the CA and server certificate go (default: a temp dir)")
    ap.add_argument("--zone", action="append", default=[], help="zone name to create (repeatable)")
    ap.add_argument("--token", action="append", default=[], help="API token with access to all zones (repeatable)")
    ap.add_argument("--activation", type=int, default=2, help="reads until a new cert/association is active")
    args = ap.parse_args()
    cf = FakeCloudflare(args.workdir or tempfile.mkdtemp(prefix="fakecf-")).start()
    cf.set_activation(args.activation)
    for token in args.token:
        cf.add_token(token)
    print("base_url %s" % cf.base_url, flush=True)
    print("ca_file  %s" % cf.ca_file, flush=True)
    for name in args.zone:
        print("zone     %s %s" % (name, cf.add_zone(name)), flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        cf.stop()


if __name__ == "__main__":
    main()
