// Uploads: files dropped on the page or chosen with the picker are each sent as the body of
// PUT /api/v1/models/{name}/files/{file} (a new model of that one file, named after it), with a
// progress bar, rate and time left per file, and a Cancel that aborts the request: the server
// then removes what it had begun, so nothing is left half-floated.
import { csrf, fileUrl } from './api.js';
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

function uploadOne(file, list, onFloated) {
  const name = modelNameOf(file.name);
  const bar = el('progress', { max: 1, value: 0, 'aria-label': 'Upload of ' + file.name });
  const info = el('span', { class: 'reason' }, 'starting…');
  const cancel = el('button', { type: 'button', 'aria-label': 'Cancel the upload of ' + file.name }, 'Cancel');
  const item = el('li', { class: 'upload' }, el('span', { class: 'upload-name' }, file.name), bar, info, cancel);
  list.append(item);
  const xhr = new XMLHttpRequest();
  const started = performance.now();
  xhr.open('PUT', fileUrl(name, file.name));
  xhr.setRequestHeader('X-CSRF-Token', csrf());
  xhr.upload.addEventListener('progress', (e) => {
    if (!e.lengthComputable) return;
    bar.max = e.total;
    bar.value = e.loaded;
    const rate = e.loaded / Math.max(0.001, (performance.now() - started) / 1000);
    info.textContent = `${formatBytes(e.loaded)} of ${formatBytes(e.total)}, ${formatBytes(rate)}/s, ` +
      formatSeconds((e.total - e.loaded) / rate);
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
      bar.value = bar.max;
      finish('floated as “' + name + '”', false);
      onFloated();
    } else {
      finish(message, true);
    }
  });
  xhr.addEventListener('error', () => finish('the connection failed; nothing was kept', true));
  xhr.addEventListener('abort', () => finish('cancelled; nothing was kept', false));
  cancel.addEventListener('click', () => xhr.abort());
  xhr.send(file);
}

// The drop zone and picker; `onFloated` runs after each file floated.
export function uploadPanel(onFloated) {
  const list = el('ul', { class: 'uploads', 'aria-label': 'Uploads', 'aria-live': 'polite' });
  const input = el('input', { type: 'file', multiple: true, id: 'upload-files', class: 'visually-hidden' });
  const pick = el('label', { for: 'upload-files', class: 'button' }, 'Choose files…');
  const zone = el('section', { class: 'drop', 'aria-label': 'Upload' },
    el('p', {}, 'Drop model files here to float them, or '), input, pick, list);
  const take = (files) => { for (const f of files) uploadOne(f, list, onFloated); };
  input.addEventListener('change', () => { take(input.files); input.value = ''; });
  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    take(e.dataTransfer.files);
  });
  return zone;
}
