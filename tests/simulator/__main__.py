# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the simulator as a process: ``PYTHONPATH=tests python -m simulator --port 0``."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile

from .server import Simulator


def _parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m simulator", description="Zendesk OAuth API simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--port-file", help="write the port here once listening")
    parser.add_argument("--state-file", help="load at start, save atomically after every change")
    parser.add_argument("--config", help="start config as a JSON object (or @path to a JSON file)")
    parser.add_argument("--tls-cert", help="PEM certificate: serve HTTPS")
    parser.add_argument("--tls-key", help="PEM private key for --tls-cert")
    parser.add_argument("--lifetime", type=float, help="stop by itself after this many seconds")
    return parser.parse_args(argv)


def _load_config(raw):
    if not raw:
        return None
    if raw.startswith("@"):
        with open(raw[1:], "r", encoding="utf-8") as handle:
            return json.load(handle)
    return json.loads(raw)


def _write_atomically(path, text):
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp_path = tempfile.mkstemp(prefix=".sim-port-", dir=directory)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp_path, path)


def main(argv=None):
    args = _parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        sys.exit("--tls-cert and --tls-key go together")
    try:
        simulator = Simulator(host=args.host, port=args.port, state_file=args.state_file, config=_load_config(args.config),
                              tls_cert=args.tls_cert, tls_key=args.tls_key)
    except (OSError, ValueError) as exc:
        sys.exit("simulator: %s" % exc)
    url = simulator.start()
    if args.port_file:
        _write_atomically(args.port_file, "%d\n" % simulator.port)
    print("Zendesk simulator listening on %s" % url, flush=True)

    def on_signal(signum, frame):
        del signum, frame
        simulator.stop()

    signal.signal(signal.SIGTERM, on_signal)
    try:
        simulator.wait(args.lifetime)
    except KeyboardInterrupt:
        pass
    simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
