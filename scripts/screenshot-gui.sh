#!/usr/bin/env bash
# Screenshots of the real desktop app under Xvfb with a real window manager (openbox): a vault
# with two floated models (one chunk lost on a provider and found by verify, so the chunk map
# shows an under-replicated chunk) and a float in progress, passed on the command line as
# "Open with" does.
#   docs/screenshot-main.png, docs/screenshot-transfers.png   the README's (light, 100%)
#   docs/screenshots/<view>-<light|dark>-<100|200>.png         every page and the main dialogs,
#       in a light and a dark desktop theme (Qt's GTK platform theme following GTK_THEME, as a
#       GNOME user's desktop does) at 100% and 200% scale
# Needs xvfb, openbox, imagemagick (import), xdotool, x11-utils (xprop, xdpyinfo), qt6-gtk-platformtheme,
# gnome-themes-extra and python3.
#   scripts/screenshot-gui.sh <build dir> [output dir]    (default output: docs/)
set -euo pipefail
# The vault keeps its catalog key in the keychain: run in a session that has one.
[ "${MODELFLOAT_KEYRING_RUNNING:-}" = 1 ] || exec "$(dirname "$0")/with-keyring.sh" "$0" "$@"
for tool in Xvfb openbox import xdotool xprop xdpyinfo; do
    command -v "$tool" >/dev/null || {
        echo "$0 needs $tool: apt-get install xvfb openbox imagemagick xdotool x11-utils" \
            "qt6-gtk-platformtheme gnome-themes-extra" >&2
        exit 1
    }
done
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

# Views a variant shows: the three pages, then the dialogs, each closed before the next.
shoot() { import -window root "$1"; }
variant() { # theme scale
    local theme=$1 scale=$2 out="$OUT/screenshots" tag="$1-$2"
    local w=$((1400 * scale / 100)) h=$((900 * scale / 100))
    export DISPLAY=:$((90 + RANDOM % 9))
    Xvfb "$DISPLAY" -screen 0 "${w}x${h}x24" -nolisten tcp & XPID=$!
    for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
    openbox >/dev/null 2>&1 & WMPID=$!
    # xdotool's windowactivate needs the window manager's _NET_ACTIVE_WINDOW: wait until
    # openbox has announced itself, not a fixed second (it took longer on a busy machine).
    for _ in $(seq 100); do
        xprop -root _NET_SUPPORTING_WM_CHECK 2>/dev/null | grep -q 'window id' && break
        sleep 0.1
    done
    local gtk=Adwaita
    [ "$theme" = dark ] && gtk=Adwaita:dark
    # The float dialog of the first variant starts the float the README shows in progress;
    # the later ones show the same dialog for a small file and cancel it.
    local open=$WORK/in/Llama-3.2-1B-Instruct-Q4_K_M.gguf
    [ "$tag" = light-100 ] && open=$WORK/in/Mistral-7B-Instruct-v0.3.Q4_K_M.gguf
    QT_QPA_PLATFORMTHEME=gtk3 GTK_THEME=$gtk QT_SCALE_FACTOR=$(python3 -c "print($scale/100)") \
        "$APP" --vault "$VAULT" "$open" >"$WORK/app-$tag.log" 2>&1 & APID=$!
    sleep 4
    xdotool search --sync --name "Float a model" windowactivate --sync >/dev/null
    sleep 0.5
    shoot "$out/float-dialog-$tag.png"
    if [ "$tag" = light-100 ]; then xdotool key Return; else xdotool key Escape; fi
    sleep 1.5
    local main
    main=$(xdotool search --onlyvisible --name "ModelFloat" | head -1)
    xdotool windowmove "$main" 0 0 windowsize "$main" "$w" "$h" windowactivate --sync "$main"
    sleep 0.5
    xdotool key ctrl+1 ctrl+f Tab Down # the Models page, its first model selected
    sleep 1.5
    shoot "$out/models-$tag.png"
    [ "$tag" = light-100 ] && cp "$out/models-$tag.png" "$OUT/screenshot-main.png"
    xdotool key ctrl+2
    sleep 1
    shoot "$out/transfers-$tag.png"
    [ "$tag" = light-100 ] && cp "$out/transfers-$tag.png" "$OUT/screenshot-transfers.png"
    xdotool key ctrl+3
    sleep 1
    shoot "$out/providers-$tag.png"
    xdotool key ctrl+comma
    sleep 1.5
    shoot "$out/settings-$tag.png"
    xdotool key Escape
    sleep 0.5
    xdotool key ctrl+i
    sleep 1.5
    shoot "$out/hub-import-$tag.png"
    xdotool key Escape
    sleep 0.5
    kill -TERM "$APID"; wait "$APID" || true
    kill "$WMPID" "$XPID"; wait "$WMPID" "$XPID" 2>/dev/null || true
    APID= XPID= WMPID=
}
mkdir -p "$OUT/screenshots"
trap 'kill ${APID:-} ${WMPID:-} ${XPID:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
for theme in light dark; do
    for scale in 100 200; do
        variant "$theme" "$scale"
    done
done
echo "Wrote $OUT/screenshot-main.png, $OUT/screenshot-transfers.png and $OUT/screenshots/"
