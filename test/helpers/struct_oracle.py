"""CPython `struct` oracle for test/struct.test.ts.

Reads one JSON document on stdin, {"cases": [...]}, runs every case through
CPython's struct module and writes {"version": [major, minor],
"implementation": ..., "results": [...]} on stdout, one result per case.

Values travel tagged: {"i": "<decimal int>"}, {"f": "<16 hex digits, big-endian
IEEE double bits>"}, {"b": bool}, {"y": "<hex bytes>"}, {"s": str}, {"n": null}.
Errors come back as {"ok": false, "type": <exception class>, "msg": str(e)}.
"""

import json
import platform
import struct
import sys


def dec(arg):
    (tag, v), = arg.items()
    if tag == "i":
        return int(v)
    if tag == "f":
        return struct.unpack(">d", bytes.fromhex(v))[0]
    if tag == "b":
        return bool(v)
    if tag == "y":
        return bytes.fromhex(v)
    if tag == "s":
        return v
    if tag == "n":
        return None
    raise ValueError("unknown tag %r" % tag)


def enc(v):
    if isinstance(v, bool):
        return {"b": v}
    if isinstance(v, int):
        return {"i": str(v)}
    if isinstance(v, float):
        return {"f": struct.pack(">d", v).hex()}
    if isinstance(v, bytes):
        return {"y": v.hex()}
    raise TypeError("cannot encode %r" % type(v))


def err(e):
    return {"ok": False, "type": type(e).__name__, "msg": str(e)}


def run(case):
    op = case["op"]
    fmt = case["fmt"]
    try:
        if op == "calcsize":
            return {"ok": True, "size": struct.calcsize(fmt)}
        if op == "pack":
            packed = struct.pack(fmt, *[dec(a) for a in case["args"]])
            result = {"ok": True, "hex": packed.hex(), "size": struct.calcsize(fmt)}
            try:
                result["unpacked"] = [enc(v) for v in struct.unpack(fmt, packed)]
            except Exception as e:  # '0p' raises SystemError in 3.11
                result["unpackError"] = err(e)
            return result
        if op == "unpack":
            data = bytes.fromhex(case["hex"])
            return {"ok": True, "values": [enc(v) for v in struct.unpack(fmt, data)]}
        if op == "unpack_from":
            data = bytes.fromhex(case["hex"])
            if case.get("offset") is None:
                values = struct.unpack_from(fmt, data)
            else:
                values = struct.unpack_from(fmt, data, case["offset"])
            return {"ok": True, "values": [enc(v) for v in values]}
        if op == "pack_into":
            buf = bytearray.fromhex(case["hex"])
            try:
                struct.pack_into(fmt, buf, case["offset"], *[dec(a) for a in case["args"]])
            except Exception as e:
                result = err(e)
                result["buf"] = buf.hex()
                return result
            return {"ok": True, "buf": buf.hex()}
        if op == "iter_unpack":
            data = bytes.fromhex(case["hex"])
            it = struct.iter_unpack(fmt, data)
            return {"ok": True, "values": [[enc(v) for v in t] for t in it]}
        raise ValueError("unknown op %r" % op)
    except Exception as e:
        return err(e)


def main():
    request = json.load(sys.stdin)
    results = [run(case) for case in request["cases"]]
    json.dump(
        {
            "version": list(sys.version_info[:2]),
            "implementation": platform.python_implementation(),
            "results": results,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
