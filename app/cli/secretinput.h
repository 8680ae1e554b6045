#pragma once

#include "providers/providerkind.h"

#include <QJsonObject>
#include <QString>

namespace mf::cli::secretinput {

// Provider secrets reach the command-line tool only through standard input: a hidden prompt on
// a terminal, or --secret-stdin from a pipe or file. Never from argv (other users see a
// process's arguments; shells keep history) and never echoed.

// True when standard input is a terminal a person types into.
bool stdinIsTerminal();

// Parses what --secret-stdin read. Accepted forms:
//   - one JSON object: {"secretAccessKey": "..."}
//   - lines "key=value", key being a secret field's key or its option name
//     ("secret-access-key=..."); blank lines and lines starting with '#' are skipped
//   - for a kind with exactly one secret field, a single line that is the value itself
// Returns the secrets, or sets *error (never quoting the input).
QJsonObject parse(const ProviderKind& kind, const QByteArray& input, QString* error);

// Reads standard input to its end (for --secret-stdin).
QByteArray readAllStdin();

// One line of standard input, at most `maxBytes` of it; on a terminal, after `promptText` (on
// stderr). What a person pastes (a recovery key), echoed as typed.
QByteArray readLine(const QString& promptText, int maxBytes);

// Asks for each secret field on the terminal with echo off (prompts on stderr). Optional
// fields may be left empty and are then omitted; a required one left empty is an error.
QJsonObject prompt(const ProviderKind& kind, QString* error);

} // namespace mf::cli::secretinput
