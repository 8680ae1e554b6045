// Uploads: files dropped on the page or chosen with the picker are each sent as the body of
// PUT /api/v1/models/{name}/files/{file} (a new model of that one file, named after it), with a
// progress bar, rate and time left per file, and a Cancel that aborts the request: the server
// then removes what it had begun, so nothing is left half-floated. A folder (dropped, or chosen
// with the folder picker) is one model named after it: its files, by their paths in it, are one
// PUT /api/v1/models/{name} body, listed in X-Model-Files, each with its own progress bar.
import { csrf, fileUrl, modelPath } from './api.js';
import { el, formatBytes } from './dom.js';

// "mistral-7b.Q4_K_M.gguf" -> "mistral-7b.Q4_K_M": the model a file becomes.
function modelNameOf(fileName) {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 ? fileName.slice(0, dot) : fileName;
}

function formatSeconds(s) {
  if (!Number.isFinite(s) || s < 0) return '';
  if (s < 60) return Math.ceil(s) + ' s left';
  return Math.ceil(s / 60) + ' min left';
}

// Each bar fills as its file's share of a body of the files one after another is sent.
function barsFilling(bars, files) {
  return (loaded) => {
    let offset = 0;
    files.forEach((file, i) => {
      bars[i].max = Math.max(1, file.size);
      bars[i].value = file.size ? Math.min(file.size, Math.max(0, loaded - offset)) : (loaded >= offset ? 1 : 0);
      offset += file.size;
    });
  };
}

// Sends `body` (`total` bytes) with `xhr`, opened and its headers set: progress in `show` and
// `info` (rate, time left), Cancel aborts it, and the server's answer is said in `info`.
function send(xhr, body, total, { info, cancel, show, floatedText, onFloated }) {
  const started = performance.now();
  xhr.setRequestHeader('X-CSRF-Token', csrf());
  xhr.upload.addEventListener('progress', (e) => {
    show(e.loaded);
    const rate = e.loaded / Math.max(0.001, (performance.now() - started) / 1000);
    info.textContent = `${formatBytes(e.loaded)} of ${formatBytes(total)}, ${formatBytes(rate)}/s, ` +
      formatSeconds((total - e.loaded) / rate);
  });
  const finish = (text, isError) => {
    info.textContent = text;
    info.className = isError ? 'reason error' : 'reason';
    cancel.remove();
  };
  xhr.addEventListener('load', () => {
    let message = `The server answered ${xhr.status}`;
    try { message = JSON.parse(xhr.responseText).error.message; } catch { /* not JSON */ }
    if (xhr.status === 201) {
      show(total);
      finish(floatedText, false);
      onFloated();
    } else {
      finish(message, true);
    }
  });
  xhr.addEventListener('error', () => finish('the connection failed; nothing was kept', true));
  xhr.addEventListener('abort', () => finish('cancelled; nothing was kept', false));
  cancel.addEventListener('click', () => xhr.abort());
  xhr.send(body);
}

function uploadOne(file, list, onFloated) {
  const name = modelNameOf(file.name);
  const bar = el('progress', { max: 1, value: 0, 'aria-label': 'Upload of ' + file.name });
  const info = el('span', { class: 'reason' }, 'starting…');
  const cancel = el('button', { type: 'button', 'aria-label': 'Cancel the upload of ' + file.name }, 'Cancel');
  const item = el('li', { class: 'upload' }, el('span', { class: 'upload-name' }, file.name), bar, info, cancel);
  list.append(item);
  const xhr = new XMLHttpRequest();
  xhr.open('PUT', fileUrl(name, file.name));
  send(xhr, file, file.size, { info, cancel, show: barsFilling([bar], [file]),
    floatedText: 'floated as “' + name + '”', onFloated });
}

// A folder's files ({ file, path } in the folder) sent as one model named `name`.
function uploadFolder(name, entries, list, onFloated) {
  if (!entries.length) {
    list.append(el('li', { class: 'upload' }, el('span', { class: 'upload-name' }, name + '/'),
      el('span', { class: 'reason error' }, 'the folder has no file to float')));
    return;
  }
  const bars = entries.map(({ path }) =>
    el('progress', { max: 1, value: 0, 'aria-label': `Upload of ${name}/${path}` }));
  const info = el('span', { class: 'reason' }, 'starting…');
  const cancel = el('button', { type: 'button', 'aria-label': 'Cancel the upload of ' + name }, 'Cancel');
  const files = el('ul', { class: 'folder-files' }, entries.map(({ path }, i) =>
    el('li', {}, el('span', { class: 'upload-name' }, path), bars[i])));
  list.append(el('li', { class: 'upload' }, el('span', { class: 'upload-name' }, name + '/'), info,
    cancel, files));
  const total = entries.reduce((sum, { file }) => sum + file.size, 0);
  const xhr = new XMLHttpRequest();
  xhr.open('PUT', '/api/v1' + modelPath(name));
  xhr.setRequestHeader('X-Model-Files',
    entries.map(({ file, path }) => `${encodeURIComponent(path)}:${file.size}`).join(','));
  send(xhr, new Blob(entries.map(({ file }) => file)), total, {
    info, cancel, show: barsFilling(bars, entries.map(({ file }) => file)),
    floatedText: `floated as “${name}”, ${entries.length} files`, onFloated });
}

// Files a folder picker gives, or a drop's, carry their path below the folder chosen
// ("folder/sub/file"): grouped by that folder, each group one model.
function byFolder(files) {
  const folders = new Map();
  for (const file of files) {
    const parts = (file.webkitRelativePath || '').split('/');
    if (parts.length < 2) continue;
    if (!folders.has(parts[0])) folders.set(parts[0], []);
    folders.get(parts[0]).push({ file, path: parts.slice(1).join('/') });
  }
  return folders;
}

// A dropped folder's entries, all of them (readEntries() gives them a batch at a time).
async function entriesOf(folder) {
  const reader = folder.createReader();
  const all = [];
  for (;;) {
    const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
    if (!batch.length) return all;
    all.push(...batch);
  }
}

// Every file below `entry`, with its path in the dropped folder.
async function walk(entry, prefix, out) {
  if (entry.isFile) {
    out.push({ file: await new Promise((resolve, reject) => entry.file(resolve, reject)), path: prefix + entry.name });
    return;
  }
  for (const child of await entriesOf(entry)) await walk(child, prefix + entry.name + '/', out);
}

async function folderFiles(folder) {
  const out = [];
  for (const child of await entriesOf(folder)) await walk(child, '', out);
  return out;
}

// The drop zone and pickers; `onFloated` runs after each file or folder floated.
export function uploadPanel(onFloated) {
  const list = el('ul', { class: 'uploads', 'aria-label': 'Uploads', 'aria-live': 'polite' });
  const input = el('input', { type: 'file', multiple: true, id: 'upload-files', class: 'visually-hidden' });
  const pick = el('label', { for: 'upload-files', class: 'button' }, 'Choose files…');
  const folderInput = el('input', { type: 'file', webkitdirectory: true, id: 'upload-folder', class: 'visually-hidden' });
  const pickFolder = el('label', { for: 'upload-folder', class: 'button' }, 'Choose a folder…');
  const zone = el('section', { class: 'drop', 'aria-label': 'Upload' },
    el('p', {}, 'Drop model files or a folder here to float them, or '), input, pick, ' ',
    folderInput, pickFolder, list);
  const take = (files) => {
    const folders = byFolder(files);
    for (const [name, entries] of folders) uploadFolder(name, entries, list, onFloated);
    for (const f of files) if (!f.webkitRelativePath) uploadOne(f, list, onFloated);
  };
  input.addEventListener('change', () => { take(input.files); input.value = ''; });
  folderInput.addEventListener('change', () => { take(folderInput.files); folderInput.value = ''; });
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    // Folders come as entries (read now: the drop's items are gone once it is handled).
    const entries = [...e.dataTransfer.items].map((item) => item.webkitGetAsEntry && item.webkitGetAsEntry());
    if (!entries.some((entry) => entry && entry.isDirectory)) {
      take(e.dataTransfer.files);
      return;
    }
    const files = [...e.dataTransfer.files];
    entries.forEach((entry, i) => {
      if (entry && entry.isDirectory)
        folderFiles(entry).then((found) => uploadFolder(entry.name, found, list, onFloated),
          (error) => list.append(el('li', { class: 'upload reason error' }, `${entry.name}: ${error.message}`)));
      else if (files[i]) uploadOne(files[i], list, onFloated);
    });
  });
  return zone;
}
