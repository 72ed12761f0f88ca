#!/usr/bin/python3
"""nsforward.py - a TCP port forwarder into another network namespace.

Listens on --listen (127.0.0.1 by default; an ephemeral port, written to
--port-file) in the namespace it runs in, and for each connection opens one to --target
inside the network namespace of process --ns-pid, then copies bytes
both ways.  So a broker that lives in a namespace of its own (and
advertises 127.0.0.1:PORT there) is reached from here only through this
port, as a client on another machine reaches a broker on EC2: the
bootstrap connect works, the advertised address does not.

A socket belongs to the namespace its thread was in when it was made,
so the forwarder switches namespace (setns(2)) just to make it.
"""
import argparse
import ctypes
import os
import selectors
import socket
import threading

CLONE_NEWNET = 0x40000000
libc = ctypes.CDLL(None, use_errno=True)
ns_lock = threading.Lock()


def socket_in(ns_fd, home_fd):
    """A TCP socket made inside the namespace ns_fd."""
    with ns_lock:
        if libc.setns(ns_fd, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        try:
            return socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        finally:
            if libc.setns(home_fd, CLONE_NEWNET) != 0:
                os._exit(3)  # stuck in the wrong namespace: stop


def pump(a, b):
    sel = selectors.DefaultSelector()
    sel.register(a, selectors.EVENT_READ, b)
    sel.register(b, selectors.EVENT_READ, a)
    try:
        while True:
            for key, _ in sel.select():
                data = key.fileobj.recv(65536)
                if not data:
                    return
                key.data.sendall(data)
    except OSError:
        pass
    finally:
        a.close()
        b.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ns-pid", type=int, required=True)
    ap.add_argument("--target", required=True)  # HOST:PORT in the namespace
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--listen", default="127.0.0.1")
    args = ap.parse_args()
    host, port = args.target.rsplit(":", 1)
    ns_fd = os.open("/proc/%d/ns/net" % args.ns_pid, os.O_RDONLY)
    home_fd = os.open("/proc/self/ns/net", os.O_RDONLY)
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.listen, 0))
    ls.listen(64)
    with open(args.port_file + ".tmp", "w") as f:
        f.write(str(ls.getsockname()[1]))
    os.rename(args.port_file + ".tmp", args.port_file)
    while True:
        c, _ = ls.accept()
        u = socket_in(ns_fd, home_fd)
        u.settimeout(5)
        try:
            u.connect((host, int(port)))
        except OSError:
            c.close()
            u.close()
            continue
        u.settimeout(None)
        threading.Thread(target=pump, args=(c, u), daemon=True).start()


if __name__ == "__main__":
    main()
