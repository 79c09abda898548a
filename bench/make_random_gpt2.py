"""Writes a randomly initialised GPT-2-small-shaped model (12 layers, 768 wide, 12 heads,
d_mlp 3072, n_ctx 1024, GPT-2 vocabulary) in Hugging Face format, with the GPT-2 tokenizer
files, for bench_build.sh. usage: python3 make_random_gpt2.py OUT_DIR TOKENIZER_DIR [seed]"""
import os, shutil, sys

import torch
from transformers import GPT2Config, GPT2LMHeadModel

out, tokdir = sys.argv[1], sys.argv[2]
torch.manual_seed(int(sys.argv[3]) if len(sys.argv) > 3 else 0)
GPT2LMHeadModel(GPT2Config()).save_pretrained(out, safe_serialization=True)
shutil.copy(os.path.join(tokdir, "encoder.json"), os.path.join(out, "vocab.json"))
shutil.copy(os.path.join(tokdir, "vocab.bpe"), os.path.join(out, "merges.txt"))
