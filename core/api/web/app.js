// The page's entry: signs nothing in by itself (the sign-in link does, with a cookie), then shows
// the list or a model as the address's fragment says.
import { signedIn, signOut } from './api.js';
import { el, showStatus } from './dom.js';
import { showModel } from './model.js';
import { prefetchModels, showModels } from './models.js';

const main = document.getElementById('main');

function route() {
  const hash = location.hash || '#/';
  const model = hash.match(/^#\/model\/(.+)$/);
  if (model) showModel(main, decodeURIComponent(model[1]));
  else showModels(main);
  // Who reached the list the server rendered (with Tab, before the modules ran) stays there.
  if (!main.contains(document.activeElement)) main.focus({ preventScroll: true });
}

async function start() {
  let ok = false;
  // The list's first request goes out with the session's: it is what a signed-in page shows.
  if (!location.hash.startsWith('#/model/')) prefetchModels();
  try {
    ok = await signedIn();
  } catch (e) {
    showStatus(main, e.message, true);
    return;
  }
  if (!ok) {
    main.replaceChildren(el('h1', {}, 'Not signed in'),
      el('p', {}, 'Open the sign-in link that “modelfloat-cli serve” printed (or the one the ' +
        'desktop app shows under Settings → Local API). Each link signs one browser in, once.'));
    return;
  }
  const out = document.getElementById('sign-out');
  out.hidden = false;
  out.addEventListener('click', async () => { await signOut(); location.reload(); });
  window.addEventListener('hashchange', route);
  route();
}

start();
