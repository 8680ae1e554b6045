#!/usr/bin/env bash
# Takes the README screenshots of the real desktop app under Xvfb: a vault with two floated
# models (one chunk lost on a provider and found by verify, so the chunk map shows an
# under-replicated chunk) and a float in progress, passed on the command line as "Open with"
# does. Needs xvfb, imagemagick (import), xdotool and python3.
#   scripts/screenshot-gui.sh <build dir> [output dir]    (default output: docs/)
set -euo pipefail
BUILD=$(cd "${1:?usage: $0 BUILD_DIR [OUT_DIR]}" && pwd)
OUT=$(cd "${2:-$(dirname "$0")/../docs}" && pwd)
APP=$BUILD/app/modelfloat
CLI=$BUILD/app/modelfloat-cli
WORK=$(mktemp -d /tmp/modelfloat-shot.XXXXXX)
trap 'kill ${APID:-} ${XPID:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
export XDG_CONFIG_HOME=$WORK/config XDG_DATA_HOME=$WORK/data XDG_RUNTIME_DIR=$WORK/runtime
mkdir -p "$XDG_RUNTIME_DIR" "$WORK/in" && chmod 700 "$XDG_RUNTIME_DIR"
VAULT=$WORK/vault

# Model files: a llama-like Q4_K_M GGUF, a safetensors folder, and a large file to float.
python3 - "$WORK/in" <<'PY'
import json, os, random, struct, sys
out = sys.argv[1]
rnd = random.Random(11)
def s(x):
    b = x.encode(); return struct.pack('<Q', len(b)) + b
kv = [('general.architecture', 8, s('llama')), ('general.name', 8, s('Llama 3.2 1B Instruct')),
      ('general.file_type', 4, struct.pack('<I', 15)), ('llama.context_length', 4, struct.pack('<I', 131072)),
      ('tokenizer.chat_template', 8, s('{% for m in messages %}{{ m.content }}{% endfor %}'))]
tensors = []
for b in range(6):
    tensors += [(f'blk.{b}.attn_q.weight', [2048, 2048]), (f'blk.{b}.ffn_up.weight', [2048, 8192])]
head = b'GGUF' + struct.pack('<IQQ', 3, len(tensors), len(kv))
for k, t, v in kv:
    head += s(k) + struct.pack('<I', t) + v
offset, sizes = 0, []
for name, shape in tensors:
    n = shape[0] * shape[1]; size = n // 256 * 144
    head += s(name) + struct.pack('<I', len(shape)) + b''.join(struct.pack('<Q', d) for d in shape)
    head += struct.pack('<IQ', 12, offset)
    sizes.append(size); offset += (size + 31) // 32 * 32
head += b'\0' * ((-len(head)) % 32)
with open(os.path.join(out, 'Llama-3.2-1B-Instruct-Q4_K_M.gguf'), 'wb') as f:
    f.write(head); f.write(rnd.randbytes(offset))
os.makedirs(os.path.join(out, 'Qwen2.5-0.5B-Instruct'))
tens = {'model.embed_tokens.weight': ([4096, 2048]), 'model.layers.0.mlp.up_proj.weight': ([2048, 2048])}
hdr, off = {}, 0
for name, shape in tens.items():
    n = shape[0] * shape[1] * 2; hdr[name] = {'dtype': 'BF16', 'shape': shape, 'data_offsets': [off, off + n]}; off += n
h = json.dumps(hdr).encode()
with open(os.path.join(out, 'Qwen2.5-0.5B-Instruct', 'model.safetensors'), 'wb') as f:
    f.write(struct.pack('<Q', len(h)) + h); f.write(rnd.randbytes(off))
with open(os.path.join(out, 'Qwen2.5-0.5B-Instruct', 'config.json'), 'w') as f:
    f.write('{"model_type": "qwen2"}')
PY
head -c $((1200 * 1024 * 1024)) /dev/urandom > "$WORK/in/Mistral-7B-Instruct-v0.3.Q4_K_M.gguf"

cli() { local cmd=$1; shift; "$CLI" "$cmd" --vault "$VAULT" --quiet "$@"; }
cli init >/dev/null
mkdir -p "$WORK/nas" "$WORK/usb-disk"
cli provider add local nas "$WORK/nas" --quota 20G >/dev/null
cli provider add local usb-disk "$WORK/usb-disk" --quota 8G >/dev/null
cli config replication 2 >/dev/null
cli config chunker fastcdc:min=524288,avg=2097152,max=8388608 >/dev/null
cli float "$WORK/in/Llama-3.2-1B-Instruct-Q4_K_M.gguf" --name Llama-3.2-1B-Instruct-Q4_K_M >/dev/null
cli float "$WORK/in/Qwen2.5-0.5B-Instruct" --name Qwen2.5-0.5B-Instruct >/dev/null
# Lose one object on usb-disk; verify finds it: one chunk of one model is under-replicated.
rm -f "$(find "$WORK/usb-disk" -type f -printf "%T@ %p\n" | sort -n | sed -n 12p | cut -d" " -f2-)"
cli verify Llama-3.2-1B-Instruct-Q4_K_M >/dev/null 2>&1 || true
cli verify Qwen2.5-0.5B-Instruct >/dev/null 2>&1 || true

export DISPLAY=:$((90 + RANDOM % 9))
Xvfb "$DISPLAY" -screen 0 1400x900x24 -nolisten tcp & XPID=$!
sleep 1
"$APP" -geometry 1400x900+0+0 --vault "$VAULT" "$WORK/in/Mistral-7B-Instruct-v0.3.Q4_K_M.gguf" \
    >"$WORK/app.log" 2>&1 & APID=$!
sleep 3
DLG=$(xdotool search --name "Float a model" | head -1)
xdotool key --window "$DLG" Return   # accept the float dialog: the float starts
sleep 1.5
xdotool mousemove 120 143 click 1     # select the first model: its details and chunk map
sleep 1.5
import -window root "$OUT/screenshot-main.png"
xdotool mousemove 146 72 click 1      # the Transfers page
sleep 1
import -window root "$OUT/screenshot-transfers.png"
echo "Wrote $OUT/screenshot-main.png and $OUT/screenshot-transfers.png"
