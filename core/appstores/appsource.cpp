#include "appsource.h"

#include <QDir>
#include <QFileInfo>

namespace mf::appstores {

namespace {} // namespace

QString ollamaLayerPath(const QString& layer)
{
    return QStringLiteral("ollama/") + layer;
}

namespace {

QString originValue(const FoundCopy& copy, const QString& key)
{
    for (const auto& [k, v] : copy.origin)
        if (k == key)
            return v;
    return {};
}

// The copies `app` keeps, in `root` or in each of its usual folders.
QList<FoundCopy> copiesOf(App app, const QProcessEnvironment& env, const QString& home,
                          const QString& root)
{
    QList<FoundCopy> copies;
    QStringList ignored; // a manifest that cannot be read names no model we can float
    if (!root.isEmpty())
        return scanStore({app, root, QStringLiteral("--root")}, &ignored);
    for (const StoreRoot& r : storeRoots(env, home))
        if (r.app == app && QFileInfo(r.path).isDir())
            copies += scanStore(r, &ignored);
    return copies;
}

std::optional<AppSource> fromOllama(const QString& what, const QList<FoundCopy>& copies,
                                    QString* error)
{
    QString name = what;
    QString tag = QStringLiteral("latest");
    if (const qsizetype colon = what.lastIndexOf(QLatin1Char(':'));
        colon > 0 && !what.mid(colon + 1).contains(QLatin1Char('/'))) {
        name = what.left(colon);
        tag = what.mid(colon + 1);
    }
    const QString label = name + QLatin1Char(':') + tag;
    QList<FoundCopy> found;
    for (const FoundCopy& c : copies)
        if (c.label == label)
            found.append(c);
    if (found.isEmpty()) {
        *error = QStringLiteral("Ollama has no model “%1” here (ollama list shows what it has)")
                     .arg(label);
        return std::nullopt;
    }
    if (found.size() > 1) {
        *error = QStringLiteral("Ollama's model “%1” has %2 model layers; float its blobs by "
                                "path instead")
                     .arg(label)
                     .arg(found.size());
        return std::nullopt;
    }
    const FoundCopy& copy = found.first();
    AppSource s;
    const QString base = QString(name).replace(QLatin1Char('/'), QLatin1Char('-'));
    const QString file = base + QLatin1Char('-') + tag + QStringLiteral(".gguf");
    s.paths = {copy.path};
    s.names = {file};
    s.expectedSha256.insert(file, copy.claimed);
    // The chat template and parameters Ollama runs the model with come along, so that `use
    // --in ollama` gives it back as it was (each a small blob named by its SHA-256, checked as
    // the float reads it).
    const QString blobs = QFileInfo(copy.path).path();
    for (const QString& layer : {QStringLiteral("template"), QStringLiteral("params")}) {
        const QString hex = originValue(copy, layer);
        if (hex.isEmpty())
            continue;
        const QString blob = blobs + QStringLiteral("/sha256-") + hex;
        if (!QFileInfo(blob).isFile()) {
            *error = QStringLiteral("Ollama's model “%1” names a %2 blob that is missing: %3")
                         .arg(label, layer, blob);
            return std::nullopt;
        }
        const QString inModel = ollamaLayerPath(layer);
        s.paths.append(blob);
        s.names.append(inModel);
        s.expectedSha256.insert(inModel, hex.toLatin1());
    }
    s.source = QStringLiteral("ollama:") + originValue(copy, QStringLiteral("model")) +
               QLatin1Char(':') + tag;
    s.suggestedName = base + QLatin1Char('-') + tag;
    return s;
}

std::optional<AppSource> fromHfCache(const QString& what, const QList<FoundCopy>& copies,
                                     QString* error)
{
    const qsizetype at = what.indexOf(QLatin1Char('@'));
    const QString repo = at < 0 ? what : what.left(at);
    const QString ref = at < 0 ? QStringLiteral("main") : what.mid(at + 1);
    QString commit;
    QString snapshot;
    for (const FoundCopy& c : copies) {
        if (originValue(c, QStringLiteral("repo")) != repo)
            continue;
        const QString revision = originValue(c, QStringLiteral("revision"));
        // Its label says which ref names that commit: "org/name@main:path".
        const bool named = c.label.startsWith(repo + QLatin1Char('@') + ref + QLatin1Char(':'));
        if (!named && revision != ref)
            continue;
        commit = revision;
        const QString inRepo = originValue(c, QStringLiteral("path"));
        snapshot = c.path.left(c.path.size() - inRepo.size() - 1);
        break;
    }
    if (commit.isEmpty()) {
        *error = QStringLiteral("The Hugging Face cache has no model files of “%1” at “%2”")
                     .arg(repo, ref);
        return std::nullopt;
    }
    AppSource s;
    s.paths = {snapshot};
    // Its LFS files' blobs are named by their SHA-256: what their bytes must hash to.
    for (const FoundCopy& c : copies)
        if (originValue(c, QStringLiteral("repo")) == repo &&
            originValue(c, QStringLiteral("revision")) == commit && !c.claimed.isEmpty())
            s.expectedSha256.insert(originValue(c, QStringLiteral("path")), c.claimed);
    s.source = QStringLiteral("hf:") + repo + QLatin1Char('@') + commit;
    s.suggestedName = repo;
    return s;
}

std::optional<AppSource> fromLmStudio(const QString& what, const QList<FoundCopy>& copies,
                                      QString* error)
{
    AppSource s;
    QString folder;
    for (const FoundCopy& c : copies) {
        const bool file = c.label == what;
        if (!file && !c.label.startsWith(what + QLatin1Char('/')))
            continue;
        s.paths.append(c.path);
        s.names.append(file ? c.fileName : c.label.mid(what.size() + 1));
        folder = originValue(c, QStringLiteral("repo"));
    }
    if (s.paths.isEmpty()) {
        *error = QStringLiteral("LM Studio has no model files at “%1”").arg(what);
        return std::nullopt;
    }
    s.source = QStringLiteral("lmstudio:") + what;
    s.suggestedName = folder.isEmpty() ? QFileInfo(what).completeBaseName() : folder;
    return s;
}

} // namespace

std::optional<AppSource> resolveAppSource(const QString& spec, const QProcessEnvironment& env,
                                          const QString& home, const QString& root, QString* error)
{
    const qsizetype colon = spec.indexOf(QLatin1Char(':'));
    const QString kind = colon < 0 ? QString() : spec.left(colon);
    const QString what = colon < 0 ? QString() : spec.mid(colon + 1);
    if (what.isEmpty() || what.contains(QStringLiteral("..")) ||
        what.startsWith(QLatin1Char('/'))) {
        *error = QStringLiteral("“%1” names no model of an app: use ollama:NAME[:TAG], "
                                "hf-cache:ORG/NAME[@REF] or lmstudio:PUBLISHER/REPO[/FILE]")
                     .arg(spec);
        return std::nullopt;
    }
    if (kind == QLatin1String("ollama"))
        return fromOllama(what, copiesOf(App::Ollama, env, home, root), error);
    if (kind == QLatin1String("hf-cache"))
        return fromHfCache(what, copiesOf(App::HfCache, env, home, root), error);
    if (kind == QLatin1String("lmstudio"))
        return fromLmStudio(what, copiesOf(App::LmStudio, env, home, root), error);
    *error = QStringLiteral("“%1” is not an app float --from knows: ollama, hf-cache or lmstudio")
                 .arg(kind);
    return std::nullopt;
}

} // namespace mf::appstores
