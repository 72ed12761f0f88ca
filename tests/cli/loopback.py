"""Shared by the test servers: serve a handler on 127.0.0.1, port chosen
by the kernel, and publish the port atomically in a file for the test."""
import http.server
import os
import ssl


def serve(handler, port_file, tls=None):
    """Serve forever; tls is (CERT, KEY) or None."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    srv.daemon_threads = True
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(*tls)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    with open(port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(port_file + ".tmp", port_file)
    srv.serve_forever()
