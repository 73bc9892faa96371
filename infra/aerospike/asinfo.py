#!/usr/bin/env python3
"""A tiny Aerospike info-protocol client, so scripts need no Aerospike tools.

Usage: asinfo.py HOST:PORT COMMAND...   prints the server's answer, exit 1 on a socket error.
"""
import socket
import struct
import sys


def info(host, port, commands, timeout=2.0):
    body = "".join(c + "\n" for c in commands).encode()
    # Protocol header: version 2, type 1 (info), 48-bit body length.
    header = struct.pack(">Q", (2 << 56) | (1 << 48) | len(body))
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(header + body)
        raw = b""
        while len(raw) < 8:
            chunk = s.recv(8 - len(raw))
            if not chunk:
                raise ConnectionError("connection closed")
            raw += chunk
        size = struct.unpack(">Q", raw)[0] & 0xFFFFFFFFFFFF
        data = b""
        while len(data) < size:
            chunk = s.recv(size - len(data))
            if not chunk:
                raise ConnectionError("connection closed")
            data += chunk
    return data.decode(errors="replace")


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    host, _, port = sys.argv[1].rpartition(":")
    try:
        print(info(host or "127.0.0.1", int(port), sys.argv[2:]), end="")
    except OSError as error:
        print(f"asinfo: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
