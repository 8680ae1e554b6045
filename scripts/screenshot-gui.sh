#!/usr/bin/env bash
# Screenshots of the real desktop app under Xvfb with a real window manager (openbox): a vault
# with two floated models (one chunk lost on a provider and found by verify: the background repair
# puts it back when the app starts) and, in each variant, a float of a sharded model folder passed
# on the command line as "Open with" does, kept running by an upload limit (Settings, 1 MiB/s).
#   docs/screenshot-main.png, docs/screenshot-transfers.png   the README's (light, 100%)
#   docs/screenshots/<view>-<light|dark>-<100|200>.png         every page and dialog, in a light
#       and a dark desktop theme (Qt's GTK platform theme following GTK_THEME, as a GNOME user's
#       desktop does) at 100% and 200% scale: float-dialog, models, providers, add-provider,
#       settings, hub-import, materialize, use-in-app, free-app-copies (LM Studio keeps its own
#       copy of a model), free-up-space, change-redundancy, restore-conflict (a different file of the same name is in
#       the folder), transfers (the running float, a row per file), cancel-float, quit-question
#   SHOTS=dark-200 scripts/screenshot-gui.sh …   takes one variant only
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
# A sharded model folder per variant, big enough (240 MiB) that cancelling its float asks first
# and that it still runs at the end of the variant,
# each with its own bytes so that no variant's float is over at once by deduplication.
python3 - "$WORK/in" <<'PY'
import json, os, random, struct, sys
for tag in ['light-100', 'light-200', 'dark-100', 'dark-200']:
    d = os.path.join(sys.argv[1], tag, 'Qwen2.5-7B-Instruct')
    os.makedirs(d)
    rnd = random.Random(tag)
    for i in range(1, 4):
        n = 80 * 1024 * 1024
        h = json.dumps({f'model.layers.{i}.mlp.up_proj.weight':
                        {'dtype': 'BF16', 'shape': [n // 8192, 4096], 'data_offsets': [0, n]}}).encode()
        with open(os.path.join(d, f'model-0000{i}-of-00003.safetensors'), 'wb') as f:
            f.write(struct.pack('<Q', len(h)) + h); f.write(rnd.randbytes(n))
    with open(os.path.join(d, 'config.json'), 'w') as f:
        f.write('{"model_type": "qwen2"}')
    with open(os.path.join(d, 'tokenizer.json'), 'w') as f:
        f.write(json.dumps({'model': {'vocab': {f't{k}': k for k in range(400)}}}))
PY
# The app's home: LM Studio keeps its own copy of the Llama model (what "Free disk used by the
# apps' copies" finds), and a different file of the Llama model's name sits in the home folder
# the restore dialog opens on (what the restore asks about).
APPHOME=$WORK/home
mkdir -p "$APPHOME/.lmstudio/models/bartowski/Llama-3.2-1B-Instruct-GGUF"
cp "$WORK/in/Llama-3.2-1B-Instruct-Q4_K_M.gguf" "$APPHOME/.lmstudio/models/bartowski/Llama-3.2-1B-Instruct-GGUF/"
echo "not the model" >"$APPHOME/Llama-3.2-1B-Instruct-Q4_K_M.gguf"
# An upload limit of 1 MiB/s (the Settings dialog's): the floats run for minutes, not seconds.
mkdir -p "$XDG_CONFIG_HOME/ModelFloat"
printf '[transfers]\nuploadLimit=1048576\n' >"$XDG_CONFIG_HOME/ModelFloat/ModelFloat.conf"

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
# Waits (a loaded machine takes its time) for a window whose whole title is $1, and raises it.
window() {
    local id
    id=$(timeout 60 xdotool search --sync --onlyvisible --name "^$1( — ModelFloat)?\$" | head -1) || {
        shoot "/tmp/modelfloat-shot-failed-$tag.png"
        echo "$0: no window “$1” appeared: the screen is /tmp/modelfloat-shot-failed-$tag.png" >&2
        cat "$WORK/app-$tag.log" >&2
        return 1
    }
    xdotool windowactivate --sync "$id" >/dev/null 2>&1 || true
    sleep 1 # its first paint
}
# Types keys one at a time: a menu opens before the key meant for it comes.
keys() { for k in "$@"; do xdotool key "$k"; sleep 0.7; done; }
# Waits until no window titled $1 is shown any more.
gone() { for _ in $(seq 50); do xdotool search --onlyvisible --name "^$1( — ModelFloat)?\$" >/dev/null || return 0; sleep 0.2; done; }
# Shoots the dialog titled $2 as $1, then closes it with Escape.
dialog() { window "$2"; shoot "$out/$1-$tag.png"; xdotool key Escape; gone "$2"; sleep 0.5; }
variant() { # theme scale
    local theme=$1 scale=$2 out="$OUT/screenshots" tag="$1-$2"
    local w=$((1400 * scale / 100)) h=$((900 * scale / 100))
    at() { echo $(($1 * scale / 100)) $(($2 * scale / 100)); } # a point of the 100% layout
    # A display number no other X server (another run, a test) has: Xvfb picks it and says which.
    : >"$WORK/display"
    Xvfb -displayfd 3 -screen 0 "${w}x${h}x24" -nolisten tcp 3>"$WORK/display" & XPID=$!
    for _ in $(seq 100); do [ -s "$WORK/display" ] && break; sleep 0.1; done
    export DISPLAY=:$(head -1 "$WORK/display")
    for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.1; done
    # xdotool's windowactivate needs the window manager's _NET_ACTIVE_WINDOW: wait until
    # openbox has announced itself, not a fixed second (it took longer on a busy machine), and
    # start it again if it did not (now and then it does not, on a loaded machine).
    local tries
    for tries in 1 2 3; do
        openbox >"$WORK/openbox-$tag.log" 2>&1 & WMPID=$!
        for _ in $(seq 100); do
            xprop -root _NET_SUPPORTING_WM_CHECK 2>/dev/null | grep -q 'window id' && break 2
            sleep 0.1
        done
        kill "$WMPID" 2>/dev/null || true; wait "$WMPID" 2>/dev/null || true
        [ "$tries" = 3 ] && { echo "$0: openbox did not start:" >&2; cat "$WORK/openbox-$tag.log" >&2; return 1; }
    done
    local gtk=Adwaita
    [ "$theme" = dark ] && gtk=Adwaita:dark
    # Opened as "Open with" does: the float dialog of a sharded folder, whose float (kept slow
    # by the upload limit) runs while the pages and the dialogs are shot.
    HOME=$APPHOME QT_QPA_PLATFORMTHEME=gtk3 GTK_THEME=$gtk \
        QT_SCALE_FACTOR=$(python3 -c "print($scale/100)") \
        "$APP" --vault "$VAULT" "$WORK/in/$tag/Qwen2.5-7B-Instruct" >"$WORK/app-$tag.log" 2>&1 &
    APID=$!
    window "Float a model"
    shoot "$out/float-dialog-$tag.png"
    xdotool key Return
    gone "Float a model"
    local main
    main=$(xdotool search --onlyvisible --name "ModelFloat" | head -1)
    xdotool windowmove "$main" 0 0 windowsize "$main" "$w" $((h - 24)) windowactivate --sync "$main"
    sleep 1
    xdotool key ctrl+1 ctrl+f Tab ctrl+Home # the Models page, its first model selected
    sleep 2
    shoot "$out/models-$tag.png"
    [ "$tag" = light-100 ] && cp "$out/models-$tag.png" "$OUT/screenshot-main.png"
    xdotool key ctrl+3
    sleep 1.5
    shoot "$out/providers-$tag.png"
    keys alt+o Right Right a # Providers › Add provider…
    dialog add-provider "Add a provider"
    xdotool key ctrl+comma
    dialog settings Settings
    xdotool key ctrl+i
    dialog hub-import "Import from Hugging Face"
    # The Llama model's dialogs, from the Model menu.
    xdotool key ctrl+1 ctrl+f
    xdotool type Llama-3.2
    sleep 1
    xdotool key Tab ctrl+Home
    sleep 1
    keys alt+o m Return # Materialize… (m is also Remove's: it only moves there)
    dialog materialize "Materialize Llama-3.2-1B-Instruct-Q4_K_M"
    keys alt+o u a # Use in › In an app as…
    dialog use-in-app "Use “Llama-3.2-1B-Instruct-Q4_K_M” in an app"
    keys alt+o u f # Use in › Free disk used by the apps' copies…
    window "Free disk used by the apps' copies"
    sleep 2 # it looks in the apps' folders on a pool thread
    shoot "$out/free-app-copies-$tag.png"
    xdotool key Escape
    gone "Free disk used by the apps' copies"
    keys alt+o f # Free up space…
    dialog free-up-space "Free up space"
    keys alt+o d # Change redundancy…
    dialog change-redundancy "Change redundancy"
    # Restore into the home folder, where a different file of the model's name is.
    xdotool key ctrl+r
    window "Restore into folder"
    xdotool key Return
    gone "Restore into folder"
    dialog restore-conflict "File already exists" # Escape: Cancel restore
    # Transfers, last: the float has run a while. Its row (found by typing its first letters, as
    # background work and the cancelled restore are listed too) opened to a row per file, and
    # selected to show its details.
    xdotool key ctrl+2
    sleep 1
    xdotool mousemove $(at 150 266) click 1 mousemove $((w - 1)) $((h - 1)) # the list has the focus
    sleep 0.5
    xdotool type Float
    sleep 0.5
    xdotool key Right
    sleep 3
    shoot "$out/transfers-$tag.png"
    [ "$tag" = light-100 ] && cp "$out/transfers-$tag.png" "$OUT/screenshot-transfers.png"
    xdotool key Delete # Cancel asks first: the float is big
    dialog cancel-float Cancel # Escape: Keep going
    xdotool key ctrl+q # Quit asks first: a transfer runs
    dialog quit-question "Quit ModelFloat\\?" # Escape: Keep running
    # The float ends here, cancelled (a float stopped by quitting resumes at the next start, even
    # when its model was removed meanwhile), its model removed and the finished rows cleared:
    # the next variant floats a folder of the same name into an unchanged vault.
    xdotool key Delete
    window Cancel
    xdotool key alt+c # Cancel it
    gone Cancel
    sleep 2
    keys alt+o Right Up Return # Transfers › Clear finished
    kill -TERM "$APID"; wait "$APID" || true
    kill "$WMPID" "$XPID"; wait "$WMPID" "$XPID" 2>/dev/null || true
    APID= XPID= WMPID=
    cli rm Qwen2.5-7B-Instruct >/dev/null
}
mkdir -p "$OUT/screenshots"
trap 'kill ${APID:-} ${WMPID:-} ${XPID:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
for theme in light dark; do
    for scale in 100 200; do
        [ -z "${SHOTS:-}" ] || [ "$SHOTS" = "$theme-$scale" ] || continue
        variant "$theme" "$scale"
    done
done
echo "Wrote $OUT/screenshot-main.png, $OUT/screenshot-transfers.png and $OUT/screenshots/"
