#!/usr/bin/python3
"""A consumer of flowcast events that uses no flowcast code: Debian's python3-avro and a socket.

Subscribes to a NATS subject, prints "subscribed", then reads COUNT events. Each event's dataschema
names the writer schema's fingerprint; the schema is fetched once per fingerprint from the JetStream
KV bucket flowcast-schemas (key = fingerprint), its fingerprint checked against the published
canonical form, and the events decoded with it. Prints the totals as one JSON line.

Debian packages no NATS client for Python, so this speaks the NATS text protocol itself (CONNECT,
SUB, PUB, MSG/HMSG, PING/PONG: all it needs), and reads a KV entry the way KV clients do, as the
last message on the key's subject, through the JetStream API ($JS.API.STREAM.MSG.GET.KV_<bucket>).

Usage: avro_consumer.py HOST PORT SUBJECT COUNT
"""
import base64
import io
import json
import socket
import sys
import time

import avro.io
import avro.schema

BUCKET = "flowcast-schemas"
SCHEMA_WAIT_SECONDS = 10
SCHEMA_URN = "urn:flowcast:schema:dev.flowcast.v1.FlowBatch:"
SINGLE_OBJECT_MARKER = b"\xc3\x01"


class Nats:
    """One connection, protocol only as far as this consumer needs it."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=30)
        self.file = self.sock.makefile("rb")
        info = self.file.readline()
        if not info.startswith(b"INFO "):
            raise RuntimeError(f"not a NATS server: {info!r}")
        self.send(b'CONNECT {"verbose":false,"pedantic":false,"headers":true,"no_responders":true,"protocol":1}\r\n')
        self.ping()

    def send(self, data):
        self.sock.sendall(data)

    def ping(self):
        """Returns once the server has processed everything sent before (its PONG)."""
        self.send(b"PING\r\n")
        while True:
            kind, *_ = self.next()
            if kind == "PONG":
                return

    def next(self):
        """The next server message: ("MSG", subject, sid, headers, payload), ("PONG",) ..."""
        while True:
            line = self.file.readline()
            if not line:
                raise RuntimeError("the server closed the connection")
            words = line.decode().split()
            if words[0] == "PING":
                self.send(b"PONG\r\n")
            elif words[0] == "PONG":
                return ("PONG",)
            elif words[0] == "-ERR":
                raise RuntimeError(line.decode().strip())
            elif words[0] in ("MSG", "HMSG"):
                header_size = int(words[-2]) if words[0] == "HMSG" else 0
                data = self.file.read(int(words[-1]) + 2)[:-2]
                headers = {}
                for header in data[:header_size].decode().split("\r\n")[1:]:
                    if ":" in header:
                        name, value = header.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                return ("MSG", words[1], words[2], headers, data[header_size:])

    def close(self):
        self.sock.close()


def crc64_avro(data):
    """CRC-64-AVRO (the Avro specification's "Schema Fingerprints"); python3-avro has none."""
    empty = 0xC15D213AA4D7A795
    table = []
    for i in range(256):
        fingerprint = i
        for _ in range(8):
            fingerprint = (fingerprint >> 1) ^ (empty & -(fingerprint & 1))
        table.append(fingerprint)
    fingerprint = empty
    for byte in data:
        fingerprint = (fingerprint >> 8) ^ table[(fingerprint ^ byte) & 0xFF]
    return fingerprint


def read_entry(host, port, fingerprint):
    """The JetStream API's reply for the key's last message: the entry, or an error (no bucket, no key)."""
    nats = Nats(host, port)
    try:
        inbox = "_INBOX.avro-consumer"
        request = json.dumps({"last_by_subj": f"$KV.{BUCKET}.{fingerprint}"}).encode()
        nats.send(f"SUB {inbox} 1\r\n".encode())
        nats.send(f"PUB $JS.API.STREAM.MSG.GET.KV_{BUCKET} {inbox} {len(request)}\r\n".encode() + request + b"\r\n")
        while True:
            kind, *rest = nats.next()
            if kind == "MSG":
                return json.loads(rest[3])
    finally:
        nats.close()


def fetch_schema(host, port, fingerprint):
    """The KV entry of the fingerprint, checked: its canonical form's CRC-64-AVRO is the fingerprint."""
    # The agent stores the schema beside its first events, not before them: a key not there yet is
    # asked for again, for a while.
    deadline = time.monotonic() + SCHEMA_WAIT_SECONDS
    reply = read_entry(host, port, fingerprint)
    while "error" in reply and time.monotonic() < deadline:
        time.sleep(0.1)
        reply = read_entry(host, port, fingerprint)
    if "error" in reply:
        raise RuntimeError(f"no schema {fingerprint} in {BUCKET}: {reply['error']}")
    document = json.loads(base64.b64decode(reply["message"]["data"]))
    computed = crc64_avro(document["canonicalForm"].encode()).to_bytes(8, "little").hex()
    if computed != fingerprint or document["fingerprint"] != fingerprint:
        raise RuntimeError(f"schema {fingerprint}: the canonical form's fingerprint is {computed}")
    schema = avro.schema.parse(json.dumps(document["schema"]))
    # python3-avro's own canonical form differs from the specification's: the published one is what counts.
    own = crc64_avro(schema.canonical_form.encode()).to_bytes(8, "little").hex()
    return schema, own == fingerprint


def main():
    host, port, subject, count = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    nats = Nats(host, port)
    nats.send(f"SUB {subject} 1\r\n".encode())
    nats.ping()
    print("subscribed", flush=True)
    schemas = {}
    totals = {"events": 0, "flows": 0, "packets": 0, "bytes": 0, "directions": {}, "singleObject": 0, "structured": 0,
              "fingerprints": [], "pythonCanonicalFormAgrees": []}
    while totals["events"] < count:
        kind, *rest = nats.next()
        if kind != "MSG":
            continue
        _, _, headers, payload = rest
        if headers.get("content-type", "").startswith("application/cloudevents+json"):
            envelope = json.loads(payload)
            dataschema, body = envelope["dataschema"], base64.b64decode(envelope["data_base64"])
            totals["structured"] += 1
        else:
            dataschema, body = headers["ce-dataschema"], payload
        if not dataschema.startswith(SCHEMA_URN):
            raise RuntimeError(f"not a flowcast dataschema: {dataschema}")
        fingerprint = dataschema[len(SCHEMA_URN):]
        if fingerprint not in schemas:
            schemas[fingerprint], agrees = fetch_schema(host, port, fingerprint)
            totals["fingerprints"].append(fingerprint)
            totals["pythonCanonicalFormAgrees"].append(agrees)
        if body.startswith(SINGLE_OBJECT_MARKER):
            if body[2:10].hex() != fingerprint:
                raise RuntimeError("the single-object header names another schema than dataschema")
            body = body[10:]
            totals["singleObject"] += 1
        batch = avro.io.DatumReader(schemas[fingerprint]).read(avro.io.BinaryDecoder(io.BytesIO(body)))
        totals["events"] += 1
        for flow in batch["flows"]:
            totals["flows"] += 1
            totals["packets"] += flow["packets"]
            totals["bytes"] += flow["bytes"]
            totals["directions"][flow["direction"]] = totals["directions"].get(flow["direction"], 0) + 1
    nats.close()
    print(json.dumps(totals), flush=True)


main()
