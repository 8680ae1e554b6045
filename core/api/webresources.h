#pragma once

#include "apiresponse.h"

#include <QUrlQuery>

namespace mf::api {

class WebSessions;

// The web page's routes (docs/api.md, "The web page"): its files, embedded in the binary as
// Qt resources (core/api/web/), and the sign-in link's landing. The page itself holds no data
// and needs no session: everything it shows comes from the API, which does.

// GET / (`name` "index.html") and GET /web/{name}: the file with its ETag (a hash of its
// bytes); 304 when `ifNoneMatch` names that ETag; 404 for a name that is not one of them.
ApiResponse webFile(const QString& name, const QByteArray& ifNoneMatch);

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
