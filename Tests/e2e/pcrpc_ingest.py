#!/usr/bin/env python3
"""pcrpc_ingest.py - an independent protobuf-c-rpc client for cbingest's proto (stock mode),
adapted from ../shared/tools/pcrpc_client.py. Python standard library only; fields are
hand-encoded as protobuf-c encodes them, so requests are byte-identical to the stock C client's.

It plays a stock client exactly: no Hello, raw messages, and it treats any non-zero status with a
body, an unknown request_id or a second reply to one request as a protocol violation (exit 3),
because those abort the stock C client.

Usage:
  pcrpc_ingest.py HOST PORT store-secret TENANT ACCOUNT SECRET
  pcrpc_ingest.py HOST PORT webhook-url TENANT ACCOUNT
  pcrpc_ingest.py HOST PORT check [SERVICE]
  pcrpc_ingest.py HOST PORT pipeline TENANT ACCOUNT SECRET   # both calls in one segment
Prints one JSON object per reply. Exit: 0 ok, 1 a call failed (error field set),
2 connection error, 3 protocol violation.
"""
import json
import socket
import struct
import sys

REQ_HDR = struct.Struct("<III")
RESP_HDR = struct.Struct("<IIII")
STORE_SECRET, GET_WEBHOOK_URL, VERIFY_IPN, IMPORT_CSV, CHECK = 0, 1, 2, 3, 4


class ProtocolError(Exception):
    pass


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def f_string(num, s):
    if not s:
        return b""
    b = s.encode("utf-8")
    return varint((num << 3) | 2) + varint(len(b)) + b


def decode_fields(buf):
    fields, i = {}, 0

    def rd_varint():
        nonlocal i
        shift = result = 0
        while True:
            if i >= len(buf):
                raise ProtocolError("truncated varint")
            b = buf[i]
            i += 1
            result |= (b & 0x7F) << shift
            if not b & 0x80:
                return result
            shift += 7

    while i < len(buf):
        key = rd_varint()
        num, wt = key >> 3, key & 7
        if wt == 0:
            val = rd_varint()
        elif wt == 1:
            val, i = buf[i:i + 8], i + 8
        elif wt == 2:
            n = rd_varint()
            if i + n > len(buf):
                raise ProtocolError("truncated length-delimited field")
            val, i = bytes(buf[i:i + n]), i + n
        elif wt == 5:
            val, i = buf[i:i + 4], i + 4
        else:
            raise ProtocolError("unsupported wire type %d" % wt)
        fields.setdefault(num, []).append(val)
    return fields


def s(fields, num):
    return fields.get(num, [b""])[-1].decode("utf-8") if isinstance(fields.get(num, [b""])[-1], bytes) else ""


def n(fields, num):
    return fields.get(num, [0])[-1]


def error_of(fields):
    if 15 not in fields:
        return None
    e = decode_fields(fields[15][-1])
    return {"code": n(e, 1), "message": s(e, 2)}


def dec_store_secret(body):
    f = decode_fields(body)
    return {"stored": bool(n(f, 1)), "warnings": [w.decode() for w in f.get(2, [])],
            "key_version": n(f, 5), "error": error_of(f)}


def dec_webhook_url(body):
    f = decode_fields(body)
    return {"url": s(f, 1), "secret_stored": bool(n(f, 2)), "test_seen": bool(n(f, 3)),
            "accepted": n(f, 6), "rejected": n(f, 7), "error": error_of(f)}


def dec_check(body):
    f = decode_fields(body)
    return {"status": n(f, 1), "error": error_of(f)}


DECODERS = {STORE_SECRET: dec_store_secret, GET_WEBHOOK_URL: dec_webhook_url, CHECK: dec_check}


class Conn:
    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=60)

    def send_all(self, frames):
        self.sock.sendall(b"".join(REQ_HDR.pack(m, len(b), rid) + b for m, rid, b in frames))

    def recv_exact(self, count):
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                raise ConnectionError("EOF from server")
            data += chunk
        return data

    def recv(self):
        status, method, length, rid = RESP_HDR.unpack(self.recv_exact(RESP_HDR.size))
        body = self.recv_exact(length) if length else b""
        return status, method, rid, body


def call(conn, frames):
    """Sends frames (method, request_id, body) at once, reads one reply each, checks them like
    the stock client would, and returns decoded replies in arrival order."""
    outstanding = {rid: m for m, rid, _ in frames}
    conn.send_all(frames)
    results = []
    for _ in frames:
        status, method, rid, body = conn.recv()
        if rid not in outstanding:
            raise ProtocolError("reply for unknown or already answered request_id %d" % rid)
        want = outstanding.pop(rid)
        if status != 0 and body:
            raise ProtocolError("status %d with a body: the stock C client would abort" % status)
        if status != 0:
            results.append({"request_id": rid, "status": status})
            continue
        decoded = DECODERS[want](body)
        decoded["request_id"] = rid
        results.append(decoded)
    return results


def main(argv):
    host, port, command, args = argv[1], int(argv[2]), argv[3], argv[4:]
    if command == "store-secret":
        frames = [(STORE_SECRET, 1, f_string(1, args[0]) + f_string(2, args[1]) + f_string(3, args[2]))]
    elif command == "webhook-url":
        frames = [(GET_WEBHOOK_URL, 1, f_string(1, args[0]) + f_string(2, args[1]))]
    elif command == "check":
        frames = [(CHECK, 1, f_string(1, args[0] if args else ""))]
    elif command == "pipeline":
        frames = [(STORE_SECRET, 1, f_string(1, args[0]) + f_string(2, args[1]) + f_string(3, args[2])),
                  (GET_WEBHOOK_URL, 2, f_string(1, args[0]) + f_string(2, args[1]))]
    else:
        print(__doc__, file=sys.stderr)
        return 64
    try:
        conn = Conn(host, port)
        results = call(conn, frames)
    except ProtocolError as e:
        print("protocol violation: %s" % e, file=sys.stderr)
        return 3
    except (OSError, ConnectionError) as e:
        print("connection error: %s" % e, file=sys.stderr)
        return 2
    for result in results:
        print(json.dumps(result, sort_keys=True))
    return 1 if any(r.get("error") for r in results) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
