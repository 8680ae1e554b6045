#pragma once

#include "apiresponse.h"

#include <QUrlQuery>

namespace mf {
class Vault;
}

namespace mf::api {

class WebSessions;

// The web page's routes (docs/api.md, "The web page"): its files, embedded in the binary as
// Qt resources (core/api/web/), and the sign-in link's landing. The page's files hold no data
// and need no session: what they show comes from the API, which does, and from the first rows
// the page at / comes with for a signed-in browser.

// GET / (`name` "index.html") and GET /web/{name}: the file with its ETag (a hash of its
// bytes); 304 when `ifNoneMatch` names that ETag; 404 for a name that is not one of them.
ApiResponse webFile(const QString& name, const QByteArray& ifNoneMatch);

// GET /: index.html with its style sheet inline (allowed by its hash in the Content-Security-
// Policy), so that nothing is fetched before the first paint. For a signed-in browser (`vault`
// given) also the model list with its first page of rows, as models.js draws it, which the
// page's modules then take over: the first paint shows the models. Else the page alone, with
// its ETag (304 when `ifNoneMatch` names it).
ApiResponse webPage(Vault* vault, const QByteArray& ifNoneMatch);

// GET /signin?code=…: a fresh, unused code gets a session cookie (`secure`: over TLS only) and
// 303 to the page; any other gets 403 with what to do, in plain words (a person opened it).
ApiResponse webSignIn(WebSessions& sessions, const QUrlQuery& query, bool secure);

// GET /api/v1/session for the session `sessionId` names: {"csrfToken", "expires"}.
ApiResponse webSessionInfo(WebSessions& sessions, const QByteArray& sessionId);

// POST /api/v1/session/links (with the token only): a new sign-in link under `baseUrl`, good
// once within the body's "lifetimeSeconds" (default WebSessions::DefaultCodeLifetimeSeconds).
ApiResponse webSignInLink(WebSessions& sessions, const QString& baseUrl, const QByteArray& body);

// The sign-in link under `baseUrl` ("http://127.0.0.1:8765") for `code`.
QString signInLink(const QString& baseUrl, const QByteArray& code);

} // namespace mf::api
