#!/usr/bin/env python3
"""Tiny Qwen3 checkpoints in three formats, with transformers' logits and greedy generations.

Run from the repo root:  /work/pyenv/bin/python tests/golden/gen_qwen3.py
Writes tests/golden/qwen3/<model>/{bf16,bf16-sharded,fp8,mxfp8}/ (see tests/golden/README.md, "Qwen3").

Models (both made by transformers' Qwen3ForCausalLM with a fixed seed):
  tied    tie_word_embeddings=true,  config.json as save_pretrained writes it (rope_parameters, dtype)
  untied  tie_word_embeddings=false, config.json rewritten in the legacy spelling (rope_theta,
          torch_dtype) so that both spellings are exercised; transformers reads both.
Random init gives near-flat logits (top-1 margins far below the noise of MXFP8 activation
quantization), so each model is trained for a few hundred Adam steps on a synthetic bigram task
(next token = perm[token] with probability 0.8, else uniform): its predictions are then confident
and the argmax at every position is robust. The script prints the minimum top-1 margin and the
simulated W8A8-MXFP8 logit noise for every model and format.

The numerics of the quantizers are written here (torch f32 math, no project code):
  fp8    transformers Fp8Quantize semantics per 128x128 tile: scale = 448/amax (zero tile -> 1),
         q = clamp(w*scale, -448, 448).to(float8_e4m3fn), weight_scale_inv = f32(1/scale);
         partial edge tiles take the amax over their real elements. Cross-checked against
         transformers' Fp8Quantize on the zero-padded weight.
  mxfp8  msmodelslim W8A8_MXFP8 semantics: blocks of 32 along `in`, OCP floor scale
         byte = max(floor(log2 amax) + 127 - 8, 0) (0 for an all-zero block), elements
         sign*floor(|w|*2^(127-byte)+0.5) on the E4M3 grid (round half away from zero), clamp
         +-448. Cross-checked against torchao to_mx(FLOOR): same scales, same elements except
         at exact ties (torchao rounds ties to even).
Expected outputs come from transformers (eager attention, bf16) run on the checkpoint's own
weights; for fp8/mxfp8 on the dequantized weights (f32 product, rounded to bf16).
"""
import copy
import json
import os
import shutil
import sys

from _common import write_safetensors

import torch  # noqa: E402
import transformers  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers import Qwen3Config, Qwen3ForCausalLM  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "qwen3")
torch.set_grad_enabled(False)
torch.set_num_threads(1)  # reproducible training on one machine (summation order)

VOCAB, HIDDEN, INTER, LAYERS, HEADS, KV_HEADS, HEAD_DIM = 1024, 96, 160, 2, 4, 2, 64
THETA, EPS = 1e6, 1e-6
MODELS = {"tied": dict(tie=True, seed=1), "untied": dict(tie=False, seed=2)}
LINEARS = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
           "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj"]
PROMPT_LENS = (1, 7, 16)
GEN_PROMPT = 1  # greedy generation starts from prompt 1
NEW_TOKENS = 16
TRAIN_STEPS = 200
SOURCE = (f"transformers {transformers.__version__} Qwen3ForCausalLM (eager attention, bf16), "
          f"torch {torch.__version__}; written by tests/golden/gen_qwen3.py")


def config(tie):
    c = Qwen3Config(vocab_size=VOCAB, hidden_size=HIDDEN, intermediate_size=INTER,
                    num_hidden_layers=LAYERS, num_attention_heads=HEADS,
                    num_key_value_heads=KV_HEADS, head_dim=HEAD_DIM, rope_theta=THETA,
                    rms_norm_eps=EPS, max_position_embeddings=512, tie_word_embeddings=tie,
                    bos_token_id=None, eos_token_id=None, pad_token_id=None)
    c._attn_implementation = "eager"
    return c


def train(tie, seed):
    torch.manual_seed(seed)
    m = Qwen3ForCausalLM(config(tie)).float()
    g = torch.Generator().manual_seed(seed + 100)
    perm = torch.randperm(VOCAB, generator=g)
    opt = torch.optim.Adam(m.parameters(), lr=3e-3)
    with torch.enable_grad():
        for step in range(TRAIN_STEPS):
            cur = torch.randint(0, VOCAB, (64,), generator=g)
            seq = [cur]
            for _ in range(31):
                nxt = torch.where(torch.rand(64, generator=g) < 0.2,
                                  torch.randint(0, VOCAB, (64,), generator=g), perm[seq[-1]])
                seq.append(nxt)
            x = torch.stack(seq, 1)
            logits = m(x[:, :-1]).logits
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, VOCAB), x[:, 1:].reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
    print(f"  trained {TRAIN_STEPS} steps, final loss {loss.item():.3f}", flush=True)
    for p in m.parameters():
        p.data = p.data.to(torch.bfloat16)
    return m.eval()


# ---------------------------------------------------------------- quantizers (own numerics)

def fp8_quantize(w):
    """transformers Fp8Quantize semantics on 128x128 tiles, partial edge tiles allowed."""
    o, i = w.shape
    go, gi = -(-o // 128), -(-i // 128)
    wf = w.float()
    padded = torch.zeros(go * 128, gi * 128)
    padded[:o, :i] = wf
    tiles = padded.reshape(go, 128, gi, 128)
    amax = tiles.abs().amax(dim=(1, 3))
    scales = torch.where(amax > 0, 448.0 / torch.where(amax > 0, amax, torch.ones_like(amax)),
                         torch.ones_like(amax))
    inv = (1.0 / scales).to(torch.float32)
    q = torch.clamp(tiles * scales[:, None, :, None], -448.0, 448.0).to(torch.float8_e4m3fn)
    q = q.reshape(go * 128, gi * 128)[:o, :i].contiguous()
    return q, inv


def fp8_dequant(q, inv):
    o, i = q.shape
    s = inv.repeat_interleave(128, 0).repeat_interleave(128, 1)[:o, :i]
    return (q.float() * s).to(torch.bfloat16)


def e4m3_round_away(v):
    """float64 tensor (already scaled) -> nearest E4M3FN value, ties away from zero, clamp 448."""
    a = v.abs()
    e = torch.floor(torch.log2(torch.where(a > 0, a, torch.ones_like(a))))
    e = torch.clamp(e, min=-6.0)  # subnormal spacing 2^-9 below 2^-6
    step = torch.exp2(e - 3)
    r = torch.floor(a / step + 0.5) * step
    r = torch.clamp(r, max=448.0)
    return torch.sign(v) * r


def mx_quantize(w):
    """msmodelslim W8A8_MXFP8 weight export: (F8_E4M3 [o,i], U8 [o, ceil(i/32)])."""
    o, i = w.shape
    nb = -(-i // 32)
    wd = torch.zeros(o, nb * 32, dtype=torch.float64)
    wd[:, :i] = w.double()
    blocks = wd.reshape(o, nb, 32)
    amax = blocks.abs().amax(-1)
    fl = torch.floor(torch.log2(torch.where(amax > 0, amax, torch.ones_like(amax))))
    byte = torch.clamp(fl + 127 - 8, min=0)
    byte = torch.where(amax > 0, byte, torch.zeros_like(byte))
    assert (byte < 255).all()
    scaled = blocks * torch.exp2(127 - byte)[..., None]
    q = e4m3_round_away(scaled)
    assert torch.equal(q.float().to(torch.float8_e4m3fn).double(), q), "own E4M3 grid"
    q = q.reshape(o, nb * 32)[:, :i].float().to(torch.float8_e4m3fn).contiguous()
    return q, byte.to(torch.uint8).contiguous(), scaled.reshape(o, nb * 32)[:, :i]


def mx_dequant(q, byte):
    s = torch.exp2(byte.double() - 127).repeat_interleave(32, 1)[:, : q.shape[1]]
    return (q.double() * s).float().to(torch.bfloat16)


def torchao_check(w, q, byte, scaled):
    """Own MX quantizer vs torchao to_mx FLOOR (elements RNE): same scales; elements differ only
    at exact ties, where ours is the larger magnitude. Returns the tie count."""
    from torchao.prototype.mx_formats.mx_tensor import ScaleCalculationMode, to_mx
    o, i = w.shape
    pad = (-i) % 32
    wp = torch.nn.functional.pad(w.float(), (0, pad))
    s_ao, q_ao = to_mx(wp, torch.float8_e4m3fn, 32, ScaleCalculationMode.FLOOR)
    s_ao = s_ao.view(torch.uint8).reshape(o, -1)
    q_ao = q_ao.reshape(o, -1)[:, :i]
    assert torch.equal(s_ao, byte), "torchao FLOOR scales differ"
    diff = q_ao.view(torch.uint8) != q.view(torch.uint8)
    a = scaled.abs()
    tie = torch.zeros_like(diff)
    # a tie: |scaled| exactly halfway between two grid neighbours
    lo = q_ao.double().abs()
    hi = q.double().abs()
    tie = diff & ((a - lo) == (hi - a)) & (hi > lo)
    assert torch.equal(diff, tie), "torchao differs outside ties"
    return int(diff.sum())


def mx_fake_act(x):
    """Simulated W8A8 activation path (numerics.md mx_quant: OCP floor, RNE, tiny flush)."""
    k = x.shape[-1]
    pad = (-k) % 32
    xf = torch.nn.functional.pad(x.float(), (0, pad)).reshape(*x.shape[:-1], -1, 32)
    amax = xf.abs().amax(-1, keepdim=True)
    fl = torch.floor(torch.log2(torch.where(amax > 0, amax, torch.ones_like(amax))))
    byte = torch.where(amax > 0, torch.clamp(fl + 127 - 8, min=0), torch.zeros_like(fl))
    s = torch.exp2(byte - 127)
    q = torch.clamp(xf / s, -448, 448).to(torch.float8_e4m3fn).float()
    q = torch.where(byte == 0, torch.zeros_like(q), q)
    return (q * s).reshape(*x.shape[:-1], -1)[..., :k].to(x.dtype)


# ---------------------------------------------------------------- transformers runs

def model_from(state, tie):
    m = Qwen3ForCausalLM(config(tie)).eval()
    for p in m.parameters():  # bf16 parameters; buffers (rotary inv_freq) stay f32 as in HF loading
        p.data = p.data.to(torch.bfloat16)
    missing, unexpected = m.load_state_dict(state, strict=False)
    assert not unexpected, unexpected
    assert all(k == "lm_head.weight" for k in missing) and (tie or not missing), missing
    if tie:
        m.tie_weights()
        assert m.lm_head.weight.data_ptr() == m.model.embed_tokens.weight.data_ptr()
    return m


def margins(logits):
    t = logits.float().topk(2, -1).values
    return t[:, 0] - t[:, 1]


def reference(m, prompts):
    out = {}
    mins = []
    for n, p in enumerate(prompts):
        ids = torch.tensor(p, dtype=torch.int64)
        logits = m(ids[None]).logits[0].float()
        out[f"prompt{n}.ids"] = ids
        out[f"prompt{n}.logits"] = logits.contiguous()
        mins.append(margins(logits).min().item())
    gp = torch.tensor([prompts[GEN_PROMPT]], dtype=torch.int64)
    g = m.generate(gp, max_new_tokens=NEW_TOKENS, do_sample=False, output_logits=True,
                   return_dict_in_generate=True, pad_token_id=0)
    new = g.sequences[0, gp.shape[1]:]
    assert new.numel() == NEW_TOKENS
    gen_margin = margins(torch.stack(g.logits, 1)[0]).min().item()
    out["generate.prompt"] = gp[0].clone()
    out["generate.tokens"] = new.clone().to(torch.int64)
    return out, min(mins), gen_margin


def w8a8_noise(state, tie, prompts, expected):
    """Max |logit difference| between the expected logits and a simulated W8A8-MXFP8 forward
    (weights requantized with RNE, activations quantized per token), and argmax flips."""
    st = dict(state)
    for k in list(st):
        if any(k.endswith(l + ".weight") for l in LINEARS):
            st[k] = mx_fake_act(st[k])
    m = model_from(st, tie)
    hooks = [mod.register_forward_pre_hook(lambda mod, a: (mx_fake_act(a[0]),))
             for n, mod in m.named_modules()
             if isinstance(mod, torch.nn.Linear) and ".layers." in n]
    worst, flips = 0.0, 0
    for n, p in enumerate(prompts):
        a = expected[f"prompt{n}.logits"]
        b = m(torch.tensor([p])).logits[0].float()
        worst = max(worst, (a - b).abs().max().item())
        flips += int((a.argmax(-1) != b.argmax(-1)).sum())
    for h in hooks:
        h.remove()
    return worst, flips


# ---------------------------------------------------------------- writers

def save_expected(d, tensors, meta):
    write_safetensors(os.path.join(d, "expected.safetensors"), tensors,
                      {k: str(v) for k, v in meta.items()})


def write_config(d, cfg):
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")


def legacy_config(cfg):
    """Rewrite a transformers-5 config.json in the older spelling (rope_theta, torch_dtype)."""
    cfg = dict(cfg)
    rp = cfg.pop("rope_parameters")
    assert rp == {"rope_theta": THETA, "rope_type": "default"}, rp
    cfg["rope_theta"] = rp["rope_theta"]
    cfg["rope_scaling"] = None
    cfg["torch_dtype"] = cfg.pop("dtype")
    cfg.pop("layer_types", None)
    return cfg


def main():
    if os.path.isdir(OUT):
        shutil.rmtree(OUT)
    g = torch.Generator().manual_seed(2024)
    prompts = [torch.randint(0, VOCAB, (n,), generator=g).tolist() for n in PROMPT_LENS]
    summary = []
    for name, spec in MODELS.items():
        tie = spec["tie"]
        print(f"{name}:", flush=True)
        trained = train(tie, spec["seed"])
        base = os.path.join(OUT, name)

        # bf16 ---------------------------------------------------------------
        d = os.path.join(base, "bf16")
        trained.save_pretrained(d)
        cfg = json.load(open(os.path.join(d, "config.json")))
        if not tie:
            write_config(d, legacy_config(cfg))
            back = Qwen3ForCausalLM.from_pretrained(d, attn_implementation="eager")
            assert back.config.rope_parameters["rope_theta"] == THETA
        state = load_file(os.path.join(d, "model.safetensors"))
        assert ("lm_head.weight" in state) == (not tie)
        m = model_from(state, tie)
        ref, pmin, gmin = reference(m, prompts)
        reloaded = Qwen3ForCausalLM.from_pretrained(d, attn_implementation="eager",
                                                    dtype=torch.bfloat16).eval()
        assert torch.equal(reloaded(torch.tensor([prompts[2]])).logits[0].float(),
                           ref["prompt2.logits"]), "save_pretrained round trip"
        noise, flips = w8a8_noise(state, tie, prompts, ref)
        save_expected(d, ref, dict(source=SOURCE + "; weights: bf16/model.safetensors",
                                   model=name, format="bf16", min_margin_prompts=f"{pmin:.4f}",
                                   min_margin_generate=f"{gmin:.4f}",
                                   w8a8_mxfp8_sim_max_abs_dlogit=f"{noise:.4f}",
                                   w8a8_mxfp8_sim_argmax_flips=flips))
        summary.append((name, "bf16", pmin, gmin, noise, flips))

        if tie:
            # 2-shard variant, as save_pretrained writes it
            ds = os.path.join(base, "bf16-sharded")
            total = sum(t.numel() * 2 for t in state.values())
            reloaded.save_pretrained(ds, max_shard_size=int(total * 0.6))
            shards = sorted(f for f in os.listdir(ds) if f.endswith(".safetensors"))
            assert shards == ["model-00001-of-00002.safetensors",
                              "model-00002-of-00002.safetensors"], shards
            sharded = {}
            for f in shards:
                sharded.update(load_file(os.path.join(ds, f)))
            assert sorted(sharded) == sorted(state)
            assert all(torch.equal(sharded[k], state[k]) for k in state)

        # fp8 ----------------------------------------------------------------
        d = os.path.join(base, "fp8")
        os.makedirs(d)
        fp8_state, deq_state = {}, {}
        from transformers.integrations.finegrained_fp8 import Fp8Quantize
        from transformers import FineGrainedFP8Config

        class _Q:
            quantization_config = FineGrainedFP8Config(weight_block_size=[128, 128])

        hf_quant = Fp8Quantize(_Q())
        for k, v in state.items():
            if any(k.endswith(l + ".weight") for l in LINEARS):
                q, inv = fp8_quantize(v)
                # cross-check against transformers' own quantizer on the zero-padded weight
                o, i = v.shape
                padded = torch.zeros(-(-o // 128) * 128, -(-i // 128) * 128, dtype=v.dtype)
                padded[:o, :i] = v
                hf = hf_quant._quantize_one(k, padded)
                assert torch.equal(hf[k][:o, :i].view(torch.uint8), q.view(torch.uint8)), k
                assert torch.equal(hf[k[:-len("weight")] + "weight_scale_inv"], inv), k
                fp8_state[k] = q
                fp8_state[k[:-len("weight")] + "weight_scale_inv"] = inv
                deq_state[k] = fp8_dequant(q, inv)
            else:
                fp8_state[k] = v
                deq_state[k] = v
        write_safetensors(os.path.join(d, "model.safetensors"), fp8_state, {"format": "pt"})
        fcfg = json.load(open(os.path.join(base, "bf16", "config.json")))
        fcfg["quantization_config"] = {"quant_method": "fp8", "fmt": "e4m3",
                                       "weight_block_size": [128, 128],
                                       "activation_scheme": "dynamic"}
        write_config(d, fcfg)
        m = model_from(deq_state, tie)
        ref, pmin, gmin = reference(m, prompts)
        noise, flips = w8a8_noise(deq_state, tie, prompts, ref)
        save_expected(d, ref, dict(source=SOURCE + "; weights: fp8/model.safetensors dequantized "
                                   "(f32(weight) * weight_scale_inv, repeat-and-crop, RNE to bf16)",
                                   model=name, format="fp8", min_margin_prompts=f"{pmin:.4f}",
                                   min_margin_generate=f"{gmin:.4f}",
                                   w8a8_mxfp8_sim_max_abs_dlogit=f"{noise:.4f}",
                                   w8a8_mxfp8_sim_argmax_flips=flips))
        summary.append((name, "fp8", pmin, gmin, noise, flips))

        # mxfp8 (msmodelslim W8A8_MXFP8) ---------------------------------------
        d = os.path.join(base, "mxfp8")
        os.makedirs(d)
        mx_state, deq_state, desc = {}, {}, {}
        ties = 0
        for k, v in state.items():
            if any(k.endswith(l + ".weight") for l in LINEARS):
                q, byte, scaled = mx_quantize(v)
                ties += torchao_check(v, q, byte, scaled)
                sk = k[:-len("weight")] + "weight_scale"
                mx_state[k], mx_state[sk] = q, byte
                desc[k] = desc[sk] = "W8A8_MXFP8"
                deq_state[k] = mx_dequant(q, byte)
            else:
                mx_state[k] = v
                desc[k] = "FLOAT"
                deq_state[k] = v
        write_safetensors(os.path.join(d, "quant_model_weight_w8a8_mxfp8.safetensors"), mx_state,
                          {"format": "pt"})
        header = {"version": "1.0.0", "model_quant_type": "W8A8_MXFP8", "group_size": 32,
                  "metadata": {}, "optional": {}}
        with open(os.path.join(d, "quant_model_description.json"), "w") as f:
            json.dump({**header, **dict(sorted(desc.items()))}, f, indent=2)
            f.write("\n")
        write_config(d, json.load(open(os.path.join(base, "bf16", "config.json"))))
        m = model_from(deq_state, tie)
        ref, pmin, gmin = reference(m, prompts)
        noise, flips = w8a8_noise(deq_state, tie, prompts, ref)
        save_expected(d, ref, dict(source=SOURCE + "; weights: mxfp8 dequantized "
                                   "(decode(weight) * 2^(weight_scale - 127), bf16)",
                                   model=name, format="mxfp8", min_margin_prompts=f"{pmin:.4f}",
                                   min_margin_generate=f"{gmin:.4f}",
                                   w8a8_mxfp8_sim_max_abs_dlogit=f"{noise:.4f}",
                                   w8a8_mxfp8_sim_argmax_flips=flips,
                                   torchao_floor_ties_rounded_away=ties))
        summary.append((name, "mxfp8", pmin, gmin, noise, flips))
        print(f"  mxfp8: {ties} element ties where torchao (RNE) and msmodelslim (away) differ")

    if "--no-tokenizer" not in sys.argv:
        make_tokenizer(os.path.join(OUT, "tied"))

    print("\nmodel   format  min margin (prompts)  min margin (generate)  sim W8A8 max|dlogit|  flips")
    for name, fmt, pmin, gmin, noise, flips in summary:
        print(f"{name:7} {fmt:7} {pmin:20.4f} {gmin:22.4f} {noise:21.4f} {flips:6d}")
    print(f"minimum margin over everything: {min(min(s[2], s[3]) for s in summary):.4f}")
    total = 0
    for root, _, files in os.walk(OUT):
        total += sum(os.path.getsize(os.path.join(root, f)) for f in files)
    print(f"total bytes under tests/golden/qwen3: {total}")


WORDS = ("the a an of to in is was for on with as by at from that this it be are were not or and "
         "but if then so than when while where who what which how all any each few more most other "
         "some such no nor only own same too very can will just should now one two three four five "
         "six seven eight nine ten cat dog bird fish tree river stone cloud rain snow wind fire "
         "light dark red green blue white black small large long short old new fast slow hot cold "
         "run walk swim fly read write sing speak think see hear make take give find keep know "
         "model layer kernel tensor scale block weight token vector matrix number value float").split()


def make_tokenizer(model_dir):
    """A word-level tokenizer with exactly VOCAB entries (optional; for --prompt TEXT)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, decoders
    vocab = {"<unk>": 0}
    for w in WORDS:
        vocab.setdefault(w, len(vocab))
    for p in ".,!?;:":
        vocab.setdefault(p, len(vocab))
    i = 0
    while len(vocab) < VOCAB:
        vocab[f"w{i}"] = len(vocab)
        i += 1
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.decoder = decoders.WordPiece(prefix="##")  # joins words with spaces
    assert tok.get_vocab_size() == VOCAB
    for sub in ("bf16", "bf16-sharded", "fp8", "mxfp8"):
        d = os.path.join(model_dir, sub)
        if os.path.isdir(d):
            tok.save(os.path.join(d, "tokenizer.json"))
    enc = tok.encode("the cat can read a long tensor .")
    print(f"  tokenizer: 'the cat can read a long tensor .' -> {enc.ids} -> {tok.decode(enc.ids)!r}")


if __name__ == "__main__":
    main()
