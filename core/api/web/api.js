// The API as the page calls it: same origin, signed in by the session cookie; what changes
// something carries the session's CSRF token (GET /api/v1/session).
let csrfToken = '';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(path, { method = 'GET', body } = {}) {
  const headers = {};
  if (method !== 'GET' && method !== 'HEAD') headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const reply = await fetch('/api/v1' + path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await reply.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!reply.ok) {
    const message = data && data.error ? data.error.message : `The server answered ${reply.status}`;
    throw new ApiError(reply.status, message);
  }
  return data;
}

// Whether this browser is signed in; keeps the CSRF token for later requests.
export async function signedIn() {
  try {
    const session = await api('/session');
    csrfToken = session.csrfToken;
    return true;
  } catch (e) {
    if (e.status === 401) return false;
    throw e;
  }
}

// The session's CSRF token, for requests not made by api() (an upload's XMLHttpRequest).
export function csrf() {
  return csrfToken;
}

export async function signOut() {
  await api('/session', { method: 'DELETE' });
  csrfToken = '';
}

export function modelPath(name) {
  return '/models/' + encodeURIComponent(name);
}

export function fileUrl(model, path) {
  return '/api/v1' + modelPath(model) + '/files/' + path.split('/').map(encodeURIComponent).join('/');
}
