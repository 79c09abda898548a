#!/usr/bin/env python3
"""Writes, for a GPT-2 encoder.json, the reference's normalise() of every token string as a
JSON array indexed by id (standard library only). Token strings are the token bytes decoded as
UTF-8 with errors="replace", as TransformerLens' to_str_tokens gives them.

usage: normalise_vocab.py ENCODER_JSON OUT_JSON [--plain]"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


from n2g_reference import bytes_to_unicode, normalise_token as normalise  # noqa: E402


def main():
    enc = json.load(open(sys.argv[1], encoding="utf-8"))
    dec = {v: k for k, v in bytes_to_unicode().items()}
    out = [None] * len(enc)
    for s, i in enc.items():
        text = bytes(dec[c] for c in s).decode("utf-8", errors="replace")
        out[i] = text if "--plain" in sys.argv else normalise(text)
    json.dump(out, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False)


if __name__ == "__main__":
    main()
