#pragma once

#include "providerkind.h"
#include "util/error.h"

#include <QJsonObject>

namespace mf {

// Checks and converts a provider's settings against its kind's fields, the one place that
// knows how each ProviderField::Type is typed in: by a person on the command line (every value
// a string: "50G", "yes", "https://…") or by the GUI's form (typed JSON). Used by
// ProviderSetup before anything is written.
namespace providerfields {

// Returns the settings to store: every key a non-secret field of `kind`; Url values absolute
// http(s) URLs with no user name or password in them; Path values absolute clean paths; Number
// and Size values integers (Size parsed from "512M"); Bool values booleans ("yes"/"no",
// "true"/"false", "1"/"0", "on"/"off"); Choice values one of the field's choices. Required
// settings must be present and non-empty. A secret given as a setting, or an unknown key, is
// an error. On error: an Error whose message names the field, and an empty object.
QJsonObject normalizeSettings(const ProviderKind& kind, const QJsonObject& input, Error* error);

// Checks secrets: every key a Secret field of `kind`, every value a non-empty string; when
// `requireAll`, every required Secret field present. Returns false and sets *error.
bool checkSecrets(const ProviderKind& kind, const QJsonObject& secrets, bool requireAll,
                  Error* error);

// "secretAccessKey" -> "secret-access-key": a field's command-line option name.
QString optionName(const QString& fieldKey);

// The "concurrency" field every network kind offers: the most requests run at once (default
// DefaultConcurrency); how many do, up to it, follows the measured throughput
// (ConcurrencyGovernor).
constexpr int DefaultConcurrency = 8;
ProviderField concurrencyField();

// The "dailyUpload" field every kind offers (ProviderFactory adds it): at most this many bytes
// uploaded per day, counted by the registry, which pauses the provider's uploads until the day
// ends when it is used (ProviderRows::providerBudget()).
inline const QString DailyUploadKey = QStringLiteral("dailyUpload");
ProviderField dailyUploadField();

// An integer setting as an adapter reads it: stored as a JSON number, or as text when typed on
// a command line; `fallback` when absent or not a number.
int settingInt(const QJsonObject& settings, const QString& key, int fallback);

// Where a provider keeps its objects, as its settings say: the value of its kind's first Url or
// Path field ("/mnt/nas/models", "https://cloud.example.com/remote.php/dav/files/me"); empty
// when it has none (MEGA, Google Drive). `provider list` and the Providers page show it.
QString whereOf(const ProviderKind& kind, const QJsonObject& settings);

// One word for the field's type in help text: "URL", "SIZE", "yes|no", "a|b|c", ...
QString valueHint(const ProviderField& field);

} // namespace providerfields
} // namespace mf
